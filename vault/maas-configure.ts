/**
 * The calls `maas config-vault configure` makes, in MAAS's order, so an admin (and the tests) can
 * prove credentials work before a region controller depends on them.
 */
import type { VaultClient } from './client.js';
import { VaultError } from './errors.js';
import { loginWithAppRole, unwrap } from './approle.js';

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

export type MaasStep = 'unwrap' | 'login' | 'lookup-self' | 'write' | 'read' | 'delete';

const STEP_TEXT: Record<MaasStep, string> = {
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
  constructor(readonly step: MaasStep, override readonly cause: Error) {
    super(`MAAS would fail to ${STEP_TEXT[step]}: ${cause.message}`);
    this.exitCode = cause instanceof VaultError ? cause.exitCode : 1;
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
  const self = await step('lookup-self', () => client.read<{ policies: string[]; creation_ttl: number }>('auth/token/lookup-self', token));
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
