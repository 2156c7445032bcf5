/**
 * Reads, parses and validates a config file. Everything that can be wrong with the file is found
 * here, before any stack is synthesized or any Vault call is made.
 */
import { accessSync, closeSync, constants, existsSync, fstatSync, openSync, readSync, statSync, statfsSync, type Stats } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import type * as z from 'zod/mini';
import { ConfigError, isConfigError } from './errors.js';
import { configSchema, type ParsedConfig } from './schema.js';
import { parseDuration } from './duration.js';
import { defaultPolicyName } from './naming.js';
import { jsonDuplicateKey, jsonErrorPosition } from './json-position.js';
import { printable } from './rules.js';
import { readEnvironment, type FromEnvironment, type MaasVaultEnvironment } from './environment.js';

/** A config file this large is a mistake or an attack; a 1,000-controller site fits in 100 KiB. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

export interface MaasVaultConfig extends ParsedConfig {
  /** Where the file was read from, for messages. */
  readonly source: string;
  readonly policy: ParsedConfig['policy'] & { name: string };
  readonly vault: ParsedConfig['vault'] & {
    /**
     * A client certificate for listeners that require one (VAULT_CLIENT_CERT / VAULT_CLIENT_KEY or
     * their BAO_ spellings; absolute paths). Never in the config file: it is this machine's identity.
     */
    clientCert?: { cert: string; key: string; certVariable: string; keyVariable: string };
    /** Where vault.address and vault.caCert came from, so messages blame the right one. */
    origin?: VaultSettingOrigin;
    /** Where this tool reaches Vault: VAULT_ADDR when exported, else vault.address. */
    address: string;
    /** What region controllers are told (the configure command): vault.maasAddress, else the file's vault.address; never VAULT_ADDR. */
    maasAddress: string;
    /** True when VAULT_ADDR replaced the file's vault.address for this tool's own calls. */
    addressFromEnv: boolean;
    /** The config key maasAddress comes from. */
    maasAddressKey: 'vault.maasAddress' | 'vault.address';
  };
  /** Resolved: true unless the config says otherwise or the site adopts roles. */
  readonly stackSecretIds: boolean;
  /** Directory holding the synthesized stack, the engine's state and lock file. */
  readonly workDir: string;
}

export interface VaultSettingOrigin {
  /** The variable (VAULT_ADDR or BAO_ADDR) or the config key. */
  address: string;
  caCert?: string;
}

export interface LoadOptions {
  /** Environment consulted for VAULT_ADDR, VAULT_CACERT and the rest (config/environment.ts; default: process.env). */
  env?: NodeJS.ProcessEnv;
  /**
   * 'read' for commands that only read the work directory (status, output, verify) or must run
   * even where it cannot be written (revoke): a read-only work directory is then no problem.
   */
  workDirAccess?: 'write' | 'read';
}

export function loadConfigFile(path: string, options: LoadOptions = {}): MaasVaultConfig {
  const source = path;
  const text = readConfigText(path);
  const data = parseConfigText(text, extname(path).toLowerCase(), source);
  const config = validateConfig(data, { ...options, source, baseDir: dirname(resolve(path)) });
  const problem = workDirProblem(config.workDir, options.workDirAccess);
  if (problem) throw new ConfigError(source, [`workDir: ${config.workDir} ${problem}`]);
  return config;
}

/**
 * The file's text, read only from a regular file and never more than MAX_CONFIG_BYTES of it: the
 * size is counted while reading, since a device (/dev/zero), a FIFO or a file still growing has
 * no size to trust beforehand. Opened without blocking, so a FIFO nobody writes to is refused
 * rather than waited on, and checked through the descriptor it is read from.
 */
function readConfigText(path: string): string {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ConfigError(path, ['file not found: pass --config with the path of your maas-vault.json or .yaml']);
    throw new ConfigError(path, [`cannot be read (${code}): pass --config a config file this user may read`]);
  }
  try {
    const kind = notARegularFile(fstatSync(fd));
    if (kind === 'a directory') throw new ConfigError(path, ['is a directory: pass --config the config file itself (e.g. maas-vault.json or maas-vault.yaml)']);
    if (kind) throw new ConfigError(path, [`is ${kind}, not a regular file: pass --config the config file itself (e.g. maas-vault.json or maas-vault.yaml)`]);
    const buffer = Buffer.alloc(MAX_CONFIG_BYTES + 1);
    let length = 0;
    for (;;) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
      if (length > MAX_CONFIG_BYTES)
        throw new ConfigError(path, ['is larger than 1 MiB: a config may be at most 1 MiB (a 1,000-controller site fits in 100 KiB)']);
    }
    return buffer.toString('utf8', 0, length);
  } catch (error) {
    if (isConfigError(error)) throw error;
    throw new ConfigError(path, [
      `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): pass --config a config file this user may read`,
    ]);
  } finally {
    closeSync(fd);
  }
}

function notARegularFile(stat: Stats): string | undefined {
  if (stat.isFile()) return undefined;
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a FIFO (named pipe)';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSocket()) return 'a socket';
  return 'not a file';
}

/** U+FEFF, which some Windows editors put in front of a UTF-8 file. */
const BYTE_ORDER_MARK = '\uFEFF';

/** Parses by extension: `.yaml`/`.yml` as YAML, anything else as JSON. A leading byte order mark is skipped. */
export function parseConfigText(text: string, extension: string, source: string): unknown {
  const yaml = extension === '.yaml' || extension === '.yml';
  const body = text.startsWith(BYTE_ORDER_MARK) ? text.slice(1) : text;
  let data: unknown;
  try {
    // Alias expansion is capped so a "billion laughs" file cannot exhaust memory.
    data = yaml ? loadYaml().parse(body, { maxAliasCount: 100, uniqueKeys: true }) : JSON.parse(body);
  } catch (error) {
    throw new ConfigError(source, [
      `is not valid ${yaml ? 'YAML' : 'JSON'}: ${whereParsingFailed(error, body)} (the file's text is not repeated here: it could hold a secret)`,
    ]);
  }
  // JSON.parse keeps the last of two equal keys; YAML refuses them (uniqueKeys), and so does this.
  const duplicate = yaml ? undefined : jsonDuplicateKey(body);
  if (duplicate) {
    const where = duplicate.path.length === 0 ? 'at the top level' : `in ${formatPath(duplicate.path)}`;
    throw new ConfigError(source, [
      `key "${printable(duplicate.key)}" appears twice ${where}, at line ${duplicate.first.line} and again at line ${duplicate.second.line}, column ${duplicate.second.column}: ` +
        'keys must be unique (JSON readers differ on which one counts): keep one of them',
    ]);
  }
  return data;
}

/**
 * What kind of syntax error, and where (line and column), in words of our own: parser messages
 * quote the file (`Unexpected token 'h', "hvs.CAESI"... is not valid JSON`, YAML's code frame),
 * and a config may hold a pasted token.
 */
function whereParsingFailed(error: unknown, text: string): string {
  const yamlError = error as { code?: string; linePos?: Array<{ line: number; col: number }> };
  if (/alias/i.test((error as Error).message ?? '') && !yamlError.linePos) return 'too many aliases (a YAML alias bomb?)';
  const what = yamlError.code === 'DUPLICATE_KEY' ? 'a key appears twice in one map (map keys must be unique)' : 'syntax error';
  const yamlPos = yamlError.linePos?.[0];
  const position = yamlPos ? { line: yamlPos.line, column: yamlPos.col } : jsonErrorPosition(text);
  return position ? `${what} at line ${position.line}, column ${position.column}` : what;
}

/** The YAML parser is loaded only for YAML files: JSON configs (and CI's start-up) skip its cost. */
function loadYaml(): typeof import('yaml') {
  return createRequire(import.meta.url)('yaml') as typeof import('yaml');
}

export interface ValidateOptions extends LoadOptions {
  source?: string;
  /** Relative paths in the config (caCert, workDir) are resolved against this directory. */
  baseDir?: string;
}

export function validateConfig(data: unknown, options: ValidateOptions = {}): MaasVaultConfig {
  const source = options.source ?? 'config';
  const env = options.env ?? process.env;
  const baseDir = options.baseDir ?? process.cwd();
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ConfigError(source, ['must be an object with at least "site", "vault" and "controllers"']);
  }
  const environment = readEnvironment(env);
  const fileVault = (data as Record<string, unknown>).vault;
  const withEnv = applyEnvironment(data as Record<string, unknown>, environment);
  const result = configSchema.safeParse(withEnv, { error: describeIssue });
  if (!result.success) {
    const lines = result.error.issues.flatMap(problemLines);
    const blamed = lines.map((line) => blameEnvironment(line, environment));
    // Only the environment is at fault: do not send the admin looking in the file.
    throw new ConfigError(blamed.every((line, index) => line !== lines[index]) ? 'environment' : source, blamed);
  }
  const parsed = result.data;
  // A relative VAULT_CACERT is relative to where the command runs, as for the vault CLI.
  const caCertField = environment.caCert?.variable ?? 'vault.caCert';
  const caCert = parsed.vault.caCert === undefined ? undefined : resolveFrom(environment.caCert ? process.cwd() : baseDir, parsed.vault.caCert);
  const caProblem = caCert === undefined ? undefined : pemFileProblem(caCert);
  if (caProblem) {
    throw new ConfigError(environment.caCert ? 'environment' : source, [
      `${caCertField}: file ${caCert} ${caProblem}: give the path of the PEM bundle that signed Vault's certificate`,
    ]);
  }
  const clientCert = environment.clientCert && environment.clientKey ? clientCertFiles(environment.clientCert, environment.clientKey) : undefined;
  const fileAddress = (fileVault as { address?: unknown }).address;
  return {
    ...parsed,
    source,
    vault: {
      ...parsed.vault,
      caCert,
      ...(clientCert ? { clientCert } : {}),
      maasAddress: parsed.vault.maasAddress ?? (typeof fileAddress === 'string' ? fileAddress : parsed.vault.address),
      addressFromEnv: parsed.vault.address !== fileAddress,
      maasAddressKey: parsed.vault.maasAddress === undefined ? 'vault.address' : 'vault.maasAddress',
      origin: {
        address: environment.address && typeof fileAddress === 'string' ? environment.address.variable : 'vault.address',
        caCert: caCert === undefined ? undefined : caCertField,
      },
    },
    policy: { ...parsed.policy, name: parsed.policy.name ?? defaultPolicyName(parsed) },
    // Adopted regions keep the secret IDs they run on: the stack issues none unless asked to.
    stackSecretIds: parsed.stackSecretIds ?? !parsed.controllers.some((controller) => controller.role !== undefined),
    workDir: resolveFrom(baseDir, expandHome(parsed.workDir ?? `.maas-vault/${parsed.site}`, env)),
  };
}

/** A problem with a value that came from the environment names the variable (VAULT_ADDR or BAO_ADDR...), not the config key it overrode. */
function blameEnvironment(line: string, environment: MaasVaultEnvironment): string {
  const overrides: Array<[string, string | undefined]> = [
    ['vault.address', environment.address?.variable],
    ['vault.caCert', environment.caCert?.variable],
  ];
  for (const [key, variable] of overrides) {
    if (variable && line.startsWith(`${key}: `)) return `${variable} (from the environment; it overrides ${key}): ${line.slice(key.length + 2)}`;
  }
  return line;
}

/** Relative to where the command runs, as for the vault CLI; each a regular file this user can read. */
function clientCertFiles(cert: FromEnvironment, key: FromEnvironment): NonNullable<MaasVaultConfig['vault']['clientCert']> {
  const files = { cert: resolve(cert.value), key: resolve(key.value), certVariable: cert.variable, keyVariable: key.variable };
  const problems: string[] = [];
  const certProblem = pemFileProblem(files.cert);
  if (certProblem) problems.push(`${cert.variable}: file ${files.cert} ${certProblem}: give the path of the PEM client certificate Vault's listener accepts`);
  const keyProblem = pemFileProblem(files.key);
  if (keyProblem) problems.push(`${key.variable}: file ${files.key} ${keyProblem}: give the path of the PEM key of that certificate`);
  if (problems.length > 0) throw new ConfigError('environment', problems);
  return files;
}

/** Opened without blocking: a FIFO there would hold the run, and a bundle read once by this tool cannot be read again by the engine. */
function pemFileProblem(path: string): string | undefined {
  if (!existsSync(path)) return 'does not exist';
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'EISDIR' ? 'is a directory, not a PEM file' : `cannot be read (${code})`;
  }
  try {
    const kind = notARegularFile(fstatSync(fd));
    return kind ? `is ${kind}, not a PEM file` : undefined;
  } finally {
    closeSync(fd);
  }
}

/** `~/x` is the user's home, as a shell would have it; a literal directory named `~` is never meant. */
function expandHome(path: string, env: NodeJS.ProcessEnv): string {
  if (path === '~' || path.startsWith('~/')) return join(env.HOME || homedir(), path.slice(1));
  return path;
}

/** Kernel filesystems that look like directories but cannot hold files (statfs magic numbers). */
const VIRTUAL_FILESYSTEMS = new Set([
  0x9fa0, 0x62656572, 0x27e0eb, 0x63677270, 0x64626720, 0x73636673, 0x1cd1, 0x74726163, 0xcafe4a11, 0x62656570, 0x6165676c, 0xde5e81e4,
]);

/**
 * Why the work directory cannot hold the stack and its state, found before anything runs: it is
 * a file, sits on a kernel filesystem such as /proc, or its nearest existing parent is not writable.
 */
export function workDirProblem(workDir: string, access: 'write' | 'read' = 'write'): string | undefined {
  let existing = workDir;
  while (!existsSync(existing)) {
    const parent = dirname(existing);
    if (parent === existing) break;
    existing = parent;
  }
  const stat = statSync(existing);
  if (!stat.isDirectory()) {
    return existing === workDir ? 'is a file, not a directory: name a directory for the stack and its state' : `cannot be created: ${existing} is a file`;
  }
  if (VIRTUAL_FILESYSTEMS.has(Number(statfsSync(existing).type))) {
    return `is on a kernel filesystem (${existing}), which cannot hold files: name a directory on disk`;
  }
  if (access === 'read') return undefined;
  try {
    accessSync(existing, constants.W_OK | constants.X_OK);
  } catch {
    return `cannot be ${existing === workDir ? 'written' : 'created'}: ${existing} is not writable by this user`;
  }
  return undefined;
}

/**
 * Vault's own environment variables win over the file for this tool's calls, as they do for the
 * `vault` CLI. VAULT_ADDR replaces only where the admin reaches Vault (a tunnel, a local port):
 * the file must still say where region controllers reach it, so it never stands in for a missing
 * vault.address.
 */
function applyEnvironment(data: Record<string, unknown>, environment: MaasVaultEnvironment): Record<string, unknown> {
  const fileVault = data.vault;
  const hasFileAddress = typeof fileVault === 'object' && fileVault !== null && 'address' in fileVault;
  const overrides: Record<string, string> = {};
  if (environment.address && hasFileAddress) overrides.address = environment.address.value;
  if (environment.caCert) overrides.caCert = environment.caCert.value;
  if (Object.keys(overrides).length === 0) return data;
  const vault = typeof data.vault === 'object' && data.vault !== null && !Array.isArray(data.vault) ? data.vault : {};
  return { ...data, vault: { ...vault, ...overrides } };
}

function resolveFrom(baseDir: string, path: string): string {
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

/** `['controllers', 2, 'name']` -> `controllers[2].name`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const key of path) {
    if (typeof key === 'number') text += `[${key}]`;
    else text += text === '' ? String(key) : `.${String(key)}`;
  }
  return text;
}

/** One line per problem; an unknown key is one problem per key, each with its own path. */
function problemLines(issue: z.core.$ZodIssue): string[] {
  const path = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeysAt(issue.path);
    return issue.keys.map((key) => {
      const nearest = nearestKey(key, known);
      const message = nearest ? issue.message.replace(/^is not a known key/, `is not a known key (did you mean ${nearest}?)`) : issue.message;
      return `${path === '' ? key : `${path}.${key}`}: ${message}`;
    });
  }
  return [`${path === '' ? '(top level)' : path}: ${issue.message}`];
}

type SchemaNode = { _zod: { def: { type: string; innerType?: SchemaNode; element?: SchemaNode; shape?: Record<string, SchemaNode> } } };

/** The keys the schema allows in the object at `path` (`['controllers', 0]`), looking through optional and default wrappers. */
function knownKeysAt(path: readonly PropertyKey[]): string[] {
  const unwrap = (node: SchemaNode | undefined): SchemaNode | undefined => {
    while (node && node._zod.def.innerType && ['optional', 'default', 'prefault', 'nullable'].includes(node._zod.def.type)) node = node._zod.def.innerType;
    return node;
  };
  let node = unwrap(configSchema);
  for (const key of path) node = unwrap(typeof key === 'number' ? node?._zod.def.element : node?._zod.def.shape?.[String(key)]);
  return Object.keys(node?._zod.def.shape ?? {});
}

/**
 * The known key a mistyped one most likely meant: the same but for case or separators
 * (`tokenttl`, `token_ttl` -> tokenTtl), else one or two letters off (`adress` -> address).
 */
export function nearestKey(key: string, known: readonly string[]): string | undefined {
  const normal = (text: string) => text.toLowerCase().replace(/[-_\s]/g, '');
  const same = known.find((candidate) => normal(candidate) === normal(key));
  if (same) return same;
  const allowed = key.length <= 4 ? 1 : 2;
  let best: { key: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (distance <= allowed && (!best || distance < best.distance)) best = { key: candidate, distance };
  }
  return best?.key;
}

/** Levenshtein distance, with a swap of two neighbours counted as one edit. Keys are short. */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      rows[i][j] = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) rows[i][j] = Math.min(rows[i][j], rows[i - 2][j - 2] + 1);
    }
  }
  return rows[a.length][b.length];
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'an object',
};

/** Messages for the issues zod raises itself (missing keys, wrong types, unknown keys). */
function describeIssue(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code === 'invalid_type') {
    const wanted = TYPE_NAMES[issue.expected] ?? issue.expected;
    if (issue.input === undefined) return `is missing: it must be ${wanted}${missingHint(issue.path ?? [])}`;
    return `must be ${wanted}, not ${describeValue(issue.input)}`;
  }
  if (issue.code === 'unrecognized_keys') {
    const shape = (issue.inst as { def?: { shape?: Record<string, unknown> } } | undefined)?.def?.shape ?? {};
    return `is not a known key: allowed keys here are ${Object.keys(shape).join(', ')}`;
  }
  return undefined;
}

function missingHint(path: readonly PropertyKey[]): string {
  const field = formatPath(path);
  const why = ': the URL region controllers reach Vault at (VAULT_ADDR can override it for this tool only, not for them)';
  if (field === 'vault.address') return why;
  if (field === 'vault') return ` with at least "address"${why}`;
  return '';
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object'
    ? 'an object'
    : typeof value === 'string'
      ? `string "${printable(value)}"`
      : `${typeof value} ${JSON.stringify(value)?.slice(0, 40)}`;
}

/** Seconds of a duration the schema already accepted. */
export function seconds(duration: string): number {
  const value = parseDuration(duration);
  if (value === undefined) throw new Error(`internal: unvalidated duration ${duration}`);
  return value;
}
