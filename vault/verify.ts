/**
 * `verify`: the whole MAAS `configure` sequence per controller with a throwaway secret ID, which
 * is destroyed afterwards whatever happens. Proves the credentials path works end to end.
 */
import { roleName, type MaasVaultConfig } from '../config/index.js';
import type { VaultClient } from './client.js';
import { destroySecretIdAccessor, issueWrappedSecretId, readRoleId } from './approle.js';
import { MaasStepError, runMaasConfigure, type MaasStep } from './maas-configure.js';
import { explainStandbyReads } from './standby-reads.js';

export interface VerifyResult {
  controller: string;
  ok: boolean;
  /** The failing step and why, when not ok. */
  step?: MaasStep | 'issue';
  message?: string;
  policies?: string[];
  tokenTtlSeconds?: number;
  /** Vault's HTTP status for a failed MAAS step. */
  status?: number;
}

export async function verifyControllers(client: VaultClient, config: MaasVaultConfig, controllers: readonly string[]): Promise<VerifyResult[]> {
  const results = await Promise.all(controllers.map((controller) => verifyOne(client, config, controller)));
  return explainStandbyReads(client, results);
}

async function verifyOne(client: VaultClient, config: MaasVaultConfig, controller: string): Promise<VerifyResult> {
  const role = roleName(config, controller);
  let accessor: string | undefined;
  try {
    const [roleId, wrapped] = await Promise.all([
      readRoleId(client, role),
      issueWrappedSecretId(client, role, '2m', { site: config.site, controller, issued_by: 'maas-vault verify (throwaway)' }),
    ]);
    accessor = wrapped.secretIdAccessor;
    const result = await runMaasConfigure(client, {
      roleId,
      wrappingToken: wrapped.wrappingToken,
      secretsPath: config.secretsPath,
      mount: config.kv.mount,
    });
    return { controller, ok: true, policies: result.policies, tokenTtlSeconds: result.tokenTtlSeconds };
  } catch (error) {
    if (error instanceof MaasStepError)
      return { controller, ok: false, step: error.step, message: error.message, status: (error.cause as { status?: number }).status };
    // Failures before MAAS's own steps (reading the role, issuing the secret ID) are the admin's side.
    if ((error as { exitCode?: number }).exitCode === 3) throw error;
    return { controller, ok: false, step: 'issue', message: `could not issue a test secret ID for role ${role}: ${(error as Error).message}` };
  } finally {
    if (accessor) await destroySecretIdAccessor(client, role, accessor).catch(() => undefined);
  }
}
