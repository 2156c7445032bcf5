/**
 * The calls `maas config-vault configure` (maasserver/vault.py, `configure_region_with_vault`) and
 * the snap's `maas init region --vault-*` (maascli/snap.py, `get_vault_settings`) make, in MAAS's
 * order, so an admin (and the tests) can prove credentials work before a region depends on them.
 * Both run `prepare_wrapped_approle`: unwrap, then `check_approle_permissions` (log in, look the
 * token up and parse its expire_time, write, read and delete `test-ROLE_ID`).
 */
import type { VaultClient } from './client.js';
import { isVaultError, VaultError } from './errors.js';
import { loginWithAppRole, unwrap } from './approle.js';
import { lookupSelf } from './token-self.js';

export interface MaasConfigureInput {
  roleId: string;
  wrappingToken: string;
  secretsPath: string;
  mount: string;
}

export interface MaasConfigureResult {
  /** Kept in memory only: MAAS stores it and logs in with it again and again. */
  secretId: string;
  clientToken: string;
  policies: string[];
  tokenTtlSeconds: number;
}

export type MaasStep = 'arguments' | 'unwrap' | 'login' | 'lookup-self' | 'write' | 'read' | 'delete';

const STEP_TEXT: Record<MaasStep, string> = {
  arguments: 'take the command line',
  unwrap: 'unwrap the secret ID (sys/wrapping/unwrap)',
  login: 'log in with the role ID and secret ID (auth/approle/login)',
  'lookup-self': 'look up its own token (auth/token/lookup-self)',
  write: 'write a test secret',
  read: 'read the test secret back',
  delete: 'delete the test secret (metadata)',
};

/** A failed step of the sequence; `cause` holds the Vault error. */
export class MaasStepError extends VaultError {
  override name = 'MaasStepError';
  override readonly exitCode: number;
  constructor(
    readonly step: MaasStep,
    override readonly cause: Error,
  ) {
    super(`MAAS would fail to ${STEP_TEXT[step]}: ${cause.message}`);
    this.exitCode = isVaultError(cause) ? cause.exitCode : 1;
  }
}

async function step<T>(name: MaasStep, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    throw new MaasStepError(name, error as Error);
  }
}

/** MAAS sends no consistency headers: a replay that did would hide what a standby does to MAAS. */
const AS_MAAS = { forwardToActive: false } as const;

export async function runMaasConfigure(client: VaultClient, input: MaasConfigureInput): Promise<MaasConfigureResult> {
  const { secret_id: secretId } = await step('unwrap', () => unwrap<{ secret_id: string }>(client, input.wrappingToken, AS_MAAS));
  const login = await step('login', () => loginWithAppRole(client, input.roleId, secretId, AS_MAAS));
  const token = { ...AS_MAAS, token: login.clientToken };
  const self = await step('lookup-self', () => lookupSelf(client, token));
  // MAAS renews by `isoparse(expire_time)`: a token without an expiry (a role with no TTL) breaks it.
  const expiry = self.data?.expire_time;
  if (typeof expiry !== 'string' || Number.isNaN(Date.parse(expiry))) {
    throw new MaasStepError('lookup-self', new Error(`the token has no expire_time (${JSON.stringify(expiry)}) for MAAS to parse: give the role a token_ttl`));
  }
  const key = `${input.mount}/data/${input.secretsPath}/test-${input.roleId}`;
  const value = { value: `maas-vault check ${new Date().toISOString()}` };
  await step('write', () => client.write(key, { data: value }, token));
  const read = await step('read', () => client.read<{ data: Record<string, string> }>(key, token));
  if (read.data?.data?.value !== value.value) {
    throw new MaasStepError('read', new Error('the value read back differs from the one written'));
  }
  await step('delete', () => client.delete(`${input.mount}/metadata/${input.secretsPath}/test-${input.roleId}`, token));
  return { secretId, clientToken: login.clientToken, policies: self.data!.policies, tokenTtlSeconds: self.data!.creation_ttl };
}

/** What a region stores after either form (regiond.conf's vault_* settings). */
export interface MaasVaultSettings {
  url: string;
  roleId: string;
  secretId: string;
  secretsPath: string;
  mount: string;
}

/** The arguments MAAS takes from one printed command line. */
export interface MaasCommandLine extends MaasConfigureInput {
  url: string;
  /** `--yes` on configure: skip "This region already has Vault configured. Overwrite?". */
  yes: boolean;
}

/** The command line as a shell splits it (printed lines carry no quoting). */
function words(line: string): string[] {
  return line.trim().split(/\s+/);
}

/**
 * `sudo maas config-vault configure URL ROLE_ID WRAPPED_TOKEN SECRETS_PATH [--mount M] [--yes]`,
 * as config_vault.py's parser takes it: --mount defaults to `secret`; path and mount lose a
 * trailing '/'.
 */
export function parseConfigureLine(line: string): MaasCommandLine {
  const all = words(line);
  const start = all.join(' ').startsWith('sudo maas config-vault configure ') ? 4 : -1;
  if (start < 0) throw new MaasStepError('arguments', new Error('not a `sudo maas config-vault configure` line'));
  const positional: string[] = [];
  let mount = 'secret';
  let yes = false;
  for (let index = start; index < all.length; index++) {
    if (all[index] === '--yes') yes = true;
    else if (all[index] === '--mount') mount = all[++index] ?? '';
    else if (all[index].startsWith('--')) throw new MaasStepError('arguments', new Error(`unrecognized argument ${all[index]}`));
    else positional.push(all[index]);
  }
  if (positional.length !== 4 || !mount)
    throw new MaasStepError('arguments', new Error('configure takes URL ROLE_ID WRAPPED_TOKEN SECRETS_PATH and --mount MOUNT'));
  const [url, roleId, wrappingToken, secretsPath] = positional;
  return { url, roleId, wrappingToken, secretsPath: secretsPath.replace(/\/+$/, ''), mount: mount.replace(/\/+$/, ''), yes };
}

/**
 * `sudo maas init region ... --vault-uri U --vault-approle-id I --vault-wrapped-token T
 * --vault-secrets-path P [--vault-secrets-mount M]`, as `get_vault_settings` takes it: without
 * --vault-uri the region gets no Vault at all; the other three are required; the mount defaults
 * to `secret`; nothing is stripped.
 */
export function parseInitRegionLine(line: string): MaasCommandLine {
  const all = words(line);
  if (!all.join(' ').startsWith('sudo maas init region ')) throw new MaasStepError('arguments', new Error('not a `sudo maas init region` line'));
  const options = new Map<string, string>();
  for (let index = 4; index < all.length; index++) {
    if (all[index].startsWith('--vault-')) options.set(all[index].slice(2), all[++index] ?? '');
  }
  if (!options.get('vault-uri')) throw new MaasStepError('arguments', new Error('no --vault-uri: MAAS would install the region without Vault'));
  const missing = ['vault-approle-id', 'vault-wrapped-token', 'vault-secrets-path'].filter((name) => options.get(name) === undefined);
  if (missing.length > 0) throw new MaasStepError('arguments', new Error(`Missing required vault arguments: ${missing.join(', ')}`));
  return {
    url: options.get('vault-uri')!,
    roleId: options.get('vault-approle-id')!,
    wrappingToken: options.get('vault-wrapped-token')!,
    secretsPath: options.get('vault-secrets-path')!,
    mount: options.get('vault-secrets-mount') ?? 'secret',
    yes: false,
  };
}

/** Either printed form, run as MAAS runs it; returns what the region stores. `client` must talk to `line.url`. */
export async function runMaasHandOff(client: VaultClient, line: MaasCommandLine): Promise<MaasVaultSettings> {
  const result = await runMaasConfigure(client, line);
  return { url: line.url, roleId: line.roleId, secretId: result.secretId, secretsPath: line.secretsPath, mount: line.mount };
}
