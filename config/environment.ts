/**
 * Every environment variable maas-vault reads, and what it makes of them, in one place. Admins
 * bring the habits of the `vault` and `bao` CLIs: OpenBao's BAO_ spellings, VAULT_FORMAT, and
 * settings maas-vault must not follow (VAULT_SKIP_VERIFY, a namespace MAAS cannot log in to).
 * Anything here that cannot be used is refused before the first request to Vault (exit 2).
 */
import { printable } from './rules.js';
import { ConfigError } from './errors.js';

/** A setting maas-vault takes from the environment under either spelling. */
export type VaultSetting = 'address' | 'token' | 'caCert' | 'clientCert' | 'clientKey' | 'namespace' | 'format' | 'skipVerify' | 'maxRetries' | 'wrapTtl';

/** The `vault` CLI's spelling, then OpenBao's: when both are set the `vault` one wins (and the run says so once). */
export const SPELLINGS: Record<VaultSetting, readonly [string, string]> = {
  address: ['VAULT_ADDR', 'BAO_ADDR'],
  token: ['VAULT_TOKEN', 'BAO_TOKEN'],
  caCert: ['VAULT_CACERT', 'BAO_CACERT'],
  clientCert: ['VAULT_CLIENT_CERT', 'BAO_CLIENT_CERT'],
  clientKey: ['VAULT_CLIENT_KEY', 'BAO_CLIENT_KEY'],
  namespace: ['VAULT_NAMESPACE', 'BAO_NAMESPACE'],
  format: ['VAULT_FORMAT', 'BAO_FORMAT'],
  skipVerify: ['VAULT_SKIP_VERIFY', 'BAO_SKIP_VERIFY'],
  maxRetries: ['VAULT_MAX_RETRIES', 'BAO_MAX_RETRIES'],
  wrapTtl: ['VAULT_WRAP_TTL', 'BAO_WRAP_TTL'],
};

/**
 * maas-vault's own variables. The system's (HOME, PATH, XDG_*) and libpq's (read by the engine's
 * pg backend, passwords among them) are not checked here; the passphrase variable state.encryption
 * names is not either: a passphrase is whatever its owner chose.
 */
const OWN_VARIABLES = [
  'MAAS_VAULT_ENGINE',
  'MAAS_VAULT_PROVIDER_MIRROR',
  'MAAS_VAULT_LOCK_WAIT',
  'MAAS_VAULT_CONFIG',
  'MAAS_VAULT_DEBUG',
  'MAAS_VAULT_CACHE',
  'MAAS_VAULT_SERVER_BIN',
  'MAAS_VAULT_SERVERS',
  'PG_CONN_STR',
  'PGHOST',
] as const;

/** Every variable refused with whitespace around its value. */
export const READ_VARIABLES: readonly string[] = [...Object.values(SPELLINGS).flat(), ...OWN_VARIABLES];

/** A value and the variable it was read from (`BAO_ADDR` when only that is set). */
export interface FromEnvironment {
  value: string;
  variable: string;
}

/**
 * The value of a setting and the spelling it came from; an empty variable counts as unset, as for
 * the `vault` CLI. No checks: readEnvironment makes those, once per run.
 */
export function environmentValue(env: NodeJS.ProcessEnv, setting: VaultSetting): FromEnvironment | undefined {
  for (const variable of SPELLINGS[setting]) {
    const value = env[variable];
    if (value !== undefined && value !== '') return { value, variable };
  }
  return undefined;
}

export interface MaasVaultEnvironment {
  address?: FromEnvironment;
  token?: FromEnvironment;
  caCert?: FromEnvironment;
  /** A client certificate and its key (PEM files) for a listener that requires one: both or neither. */
  clientCert?: FromEnvironment;
  clientKey?: FromEnvironment;
  /** VAULT_FORMAT=json (or BAO_FORMAT): the same as --json. */
  json: boolean;
  /** Said once per run: both spellings of a setting are set, and which one is used. */
  notes: string[];
}

/**
 * The environment as maas-vault uses it, or a ConfigError (exit 2) naming every variable that
 * cannot be used and what to do about it.
 */
export function readEnvironment(env: NodeJS.ProcessEnv = process.env): MaasVaultEnvironment {
  const problems = environmentProblems(env);
  if (problems.length > 0) throw new ConfigError('environment', problems);
  const notes: string[] = [];
  for (const [vaultName, baoName] of Object.values(SPELLINGS)) {
    if (env[vaultName] && env[baoName]) {
      notes.push(
        `both ${vaultName} and ${baoName} are set${env[vaultName] === env[baoName] ? ' (to the same value)' : ''}: ${vaultName} is used, ${baoName} is ignored`,
      );
    }
  }
  return {
    address: environmentValue(env, 'address'),
    token: environmentValue(env, 'token'),
    caCert: environmentValue(env, 'caCert'),
    clientCert: environmentValue(env, 'clientCert'),
    clientKey: environmentValue(env, 'clientKey'),
    json: outputFormat(env).json,
    notes,
  };
}

/** Why no namespace can be used, for the environment's and the config's refusals alike. */
export const NO_NAMESPACE_IN_MAAS =
  'MAAS sends no namespace header (hvac, its Vault client, is never given one), so region controllers could not log in to roles made inside a namespace';

function environmentProblems(env: NodeJS.ProcessEnv): string[] {
  const problems: string[] = [];
  for (const variable of READ_VARIABLES) {
    const value = env[variable];
    if (value !== undefined && value !== '' && value !== value.trim()) problems.push(whitespaceProblem(variable, value));
  }
  if (problems.length > 0) return problems;
  const namespace = environmentValue(env, 'namespace');
  if (namespace) {
    problems.push(
      `${namespace.variable}="${printable(namespace.value)}": ${NO_NAMESPACE_IN_MAAS}: unset ${namespace.variable} (maas-vault works in the root namespace, where MAAS logs in)`,
    );
  }
  const clientCert = environmentValue(env, 'clientCert');
  const clientKey = environmentValue(env, 'clientKey');
  if (clientCert && !clientKey)
    problems.push(
      `${clientCert.variable} is set but VAULT_CLIENT_KEY is not: a client certificate is presented with its key; export VAULT_CLIENT_KEY with the path of the PEM key (or unset ${clientCert.variable})`,
    );
  if (clientKey && !clientCert)
    problems.push(
      `${clientKey.variable} is set but VAULT_CLIENT_CERT is not: export VAULT_CLIENT_CERT with the path of the PEM client certificate (or unset ${clientKey.variable})`,
    );
  // The engine inherits the environment, and the provider's Vault client wraps every answer under
  // VAULT_WRAP_TTL: its own child token then comes back wrapped, and it panics.
  const wrapTtl = environmentValue(env, 'wrapTtl');
  if (wrapTtl) {
    problems.push(
      `${wrapTtl.variable} is set: the vault CLI response-wraps every answer under it, and so would the engine's provider, which then cannot plan; ` +
        'maas-vault wraps exactly the secret IDs it hands out, for wrapTtl in the config (or --wrap-ttl of credentials and rotate): unset it',
    );
  }
  const skipVerify = skipVerifyProblem(env);
  if (skipVerify) problems.push(skipVerify);
  const format = outputFormat(env).problem;
  if (format) problems.push(format);
  return problems;
}

/** Never quotes the value: the variable may hold a token. */
function whitespaceProblem(variable: string, value: string): string {
  const where =
    value.trim() === ''
      ? 'is only whitespace'
      : /^\s/.test(value)
        ? /\s$/.test(value)
          ? 'starts and ends with whitespace'
          : 'starts with whitespace'
        : 'ends with whitespace';
  return `${variable} ${where}: export it without the spaces, tabs or newlines around the value (or unset it)`;
}

/** Go's strconv.ParseBool, which the vault and bao CLIs read VAULT_SKIP_VERIFY with. */
const GO_TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const GO_FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/**
 * A false VAULT_SKIP_VERIFY asks for what maas-vault always does; a true one cannot be honoured
 * (MAAS verifies Vault's certificate, so what works only unverified would fail on every region)
 * and is refused rather than ignored. A value the vault CLI could not parse is refused too.
 */
function skipVerifyProblem(env: NodeJS.ProcessEnv): string | undefined {
  const setting = environmentValue(env, 'skipVerify');
  if (!setting || GO_FALSE.has(setting.value)) return undefined;
  if (!GO_TRUE.has(setting.value)) return `${setting.variable}="${printable(setting.value)}": is not true or false; unset it`;
  return (
    `${setting.variable} is set: maas-vault always verifies Vault's certificate, as MAAS does on every region controller: ` +
    "unset it, and set VAULT_CACERT (or vault.caCert) to the PEM bundle of the CA that signed Vault's certificate"
  );
}

/** VAULT_FORMAT as the vault CLI reads it (either case); only json and table mean something here. */
export function outputFormat(env: NodeJS.ProcessEnv = process.env): { json: boolean; problem?: string } {
  const setting = environmentValue(env, 'format');
  const value = setting?.value.toLowerCase();
  if (!setting || value === 'table') return { json: false };
  if (value === 'json') return { json: true };
  return {
    json: false,
    problem: `${setting.variable}="${printable(setting.value)}": only json is supported (the same as --json); unset it for output for people`,
  };
}
