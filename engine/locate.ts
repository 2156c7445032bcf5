/**
 * Finds the Terraform engine: `--engine` (tofu, terraform, or a path), else `tofu` on PATH,
 * else `terraform` on PATH. Either works: the stack pins hashicorp/vault 5.6.0 and both engines
 * resolve that source in their own registry (or in a filesystem mirror).
 */
import { accessSync, constants, readFileSync, realpathSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { execa } from 'execa';
import { writePrivateFile } from '../config/private-file.js';

export type EngineKind = 'tofu' | 'terraform';

export interface EngineBinary {
  kind: EngineKind;
  path: string;
  version: string;
}

export class EngineNotFoundError extends Error {
  override name = 'EngineNotFoundError';
  readonly exitCode = 2;
}

const MIN_VERSION = [1, 6];

/**
 * What a stack with a `removed` block with `lifecycle { destroy = false }` (stacks/removed-block.ts,
 * declared when an adopt flag is set) needs: older engines reject the block, or (OpenTofu before
 * 1.10) its lifecycle, so they are refused only when the stack declares one.
 */
const REMOVED_BLOCK_VERSION: Record<EngineKind, [number, number]> = { terraform: [1, 7], tofu: [1, 10] };

/** Why this engine cannot run a stack that declares a `removed` block, or undefined when it can. */
export function removedBlockProblem(binary: Pick<EngineBinary, 'kind' | 'version'>): string | undefined {
  const [major, minor] = REMOVED_BLOCK_VERSION[binary.kind];
  const [haveMajor = 0, haveMinor = 0] = binary.version.split('.').map(Number);
  if (haveMajor > major || (haveMajor === major && haveMinor >= minor)) return undefined;
  const name = binary.kind === 'tofu' ? 'OpenTofu' : 'Terraform';
  return (
    `${name} ${binary.version} cannot forget an object without deleting it (a \`removed\` block with destroy ` +
    `= false needs ${name} ${major}.${minor} or later)`
  );
}

/**
 * `label` names where `requested` came from, for the message: `--engine` or `MAAS_VAULT_ENGINE`.
 * `cacheFile` keeps the version probe's answer (a child process on the path of every plan and
 * apply) for the binary it was asked of; `env` gives the PATH to search.
 */
export async function locateEngine(requested?: string, label = '--engine', cacheFile?: string, env: NodeJS.ProcessEnv = process.env): Promise<EngineBinary> {
  const candidates = requested ? [asRun(requested)] : ['tofu', 'terraform'];
  const problems: string[] = [];
  for (const candidate of candidates) {
    const found = await probeCached(candidate, cacheFile, env);
    if (typeof found === 'string') problems.push(found);
    else return found;
  }
  throw new EngineNotFoundError(
    requested
      ? `${label} ${requested}: ${problems[0]}`
      : 'no Terraform engine found: install OpenTofu (`tofu`) or Terraform >= 1.6 on PATH, or pass --engine PATH',
  );
}

/**
 * The command locateEngine will most likely settle on, found without running anything: the first
 * candidate that is an executable file. The probe may still refuse it (too old), so whoever acts
 * on this guess checks it against the located engine.
 */
export function engineCandidate(requested?: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return (requested ? [asRun(requested)] : ['tofu', 'terraform']).find((candidate) => identity(candidate, env) !== undefined);
}

/**
 * A path names a file from here: made absolute, since the engine runs in the stack's directory,
 * where `./bin/tofu` would name another file or none. A bare name is looked up on PATH.
 */
function asRun(command: string): string {
  return command.includes('/') ? resolve(command) : command;
}

interface CachedProbe {
  key: string;
  kind: EngineKind;
  version: string;
}

/** The probe's answer from `cacheFile` when it was given for this very file; else probes and records it. */
async function probeCached(command: string, cacheFile: string | undefined, env: NodeJS.ProcessEnv): Promise<EngineBinary | string> {
  const key = identity(command, env);
  // Nothing to run: said without starting a process (plan and apply look for tofu first).
  if (key === undefined) return `cannot run "${command}" (${command.includes('/') ? 'no executable file there' : 'not found on PATH'})`;
  if (cacheFile !== undefined) {
    const cached = readCache(cacheFile);
    if (cached?.key === key) return { kind: cached.kind, path: command, version: cached.version };
  }
  const found = await probe(command, env);
  if (cacheFile !== undefined && typeof found !== 'string') {
    // Best effort: a work directory that cannot take the file only means probing next time too.
    try {
      writePrivateFile(cacheFile, `${JSON.stringify({ key, kind: found.kind, version: found.version } satisfies CachedProbe)}\n`);
    } catch {
      // ignored, see above
    }
  }
  return found;
}

/** The file `command` runs (as the shell finds it on PATH) and its identity; undefined when there is none. */
function identity(command: string, env: NodeJS.ProcessEnv): string | undefined {
  const candidates = command.includes('/')
    ? [resolve(command)]
    : (env.PATH ?? '')
        .split(delimiter)
        .filter((dir) => isAbsolute(dir))
        .map((dir) => join(dir, command));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      const real = realpathSync(candidate);
      const stat = statSync(real);
      if (!stat.isFile()) continue;
      return JSON.stringify([real, stat.dev, stat.ino, stat.size, stat.mtimeMs, stat.ctimeMs]);
    } catch {
      // not this one
    }
  }
  return undefined;
}

function readCache(path: string): CachedProbe | undefined {
  try {
    const cached = JSON.parse(readFileSync(path, 'utf8')) as Partial<CachedProbe>;
    const valid = typeof cached.key === 'string' && (cached.kind === 'tofu' || cached.kind === 'terraform') && typeof cached.version === 'string';
    return valid ? (cached as CachedProbe) : undefined;
  } catch {
    return undefined;
  }
}

/** The engine's version, or why it cannot be used. */
async function probe(command: string, env: NodeJS.ProcessEnv): Promise<EngineBinary | string> {
  const result = await execa(command, ['version', '-json'], { reject: false, timeout: 30_000, env: { ...env, CHECKPOINT_DISABLE: '1' }, extendEnv: false });
  if (result.failed && result.exitCode === undefined) return `cannot run "${command}" (${result.code ?? 'not found'})`;
  let info: { terraform_version?: string };
  try {
    info = JSON.parse(String(result.stdout)) as typeof info;
  } catch {
    return `"${command} version -json" did not print JSON: is it OpenTofu or Terraform?`;
  }
  const version = info.terraform_version ?? '';
  const [major = 0, minor = 0] = version.split('.').map(Number);
  if (major < MIN_VERSION[0] || (major === MIN_VERSION[0] && minor < MIN_VERSION[1])) {
    return `"${command}" is version ${version}; maas-vault needs 1.6 or later`;
  }
  const kind: EngineKind = /tofu/i.test(String(result.stdout)) || /tofu/.test(command) ? 'tofu' : 'terraform';
  return { kind, path: command, version };
}
