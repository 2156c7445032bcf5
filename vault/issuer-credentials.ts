/**
 * The CI issuer's hand-off: one response-wrapped secret ID for the issuer role, issued with the
 * admin's token. CI unwraps it once and logs in with it; what that login can do is in README, Security.
 */
import { issuerRoleName, type MaasVaultConfig } from '../config/index.js';
import type { VaultClient } from './client.js';
import { destroySecretIdAccessor, issueWrappedSecretId, listSecretIdAccessors, readRoleId } from './approle.js';

export interface IssuerCredentials {
  role: string;
  roleId: string;
  wrappedToken: string;
  expiresAt: string;
  secretIdAccessor: string;
  /** Older secret IDs of the issuer role destroyed by --revoke-previous. */
  revoked: number;
}

export async function issueIssuerCredentials(
  client: VaultClient,
  config: MaasVaultConfig,
  options: { wrapTtl: string; revokePrevious?: boolean },
): Promise<IssuerCredentials> {
  const role = issuerRoleName(config);
  const [roleId, wrapped] = await Promise.all([
    readRoleId(client, role),
    issueWrappedSecretId(client, role, options.wrapTtl, { site: config.site, issued_by: 'maas-vault credentials --issuer' }),
  ]);
  let revoked = 0;
  if (options.revokePrevious) {
    const older = (await listSecretIdAccessors(client, role)).filter((accessor) => accessor !== wrapped.secretIdAccessor);
    await Promise.all(older.map((accessor) => destroySecretIdAccessor(client, role, accessor)));
    revoked = older.length;
  }
  return {
    role,
    roleId,
    wrappedToken: wrapped.wrappingToken,
    expiresAt: new Date(Date.parse(wrapped.creationTime) + wrapped.ttlSeconds * 1000).toISOString(),
    secretIdAccessor: wrapped.secretIdAccessor,
    revoked,
  };
}
