/**
 * The CI issuer's hand-off: one response-wrapped secret ID for the issuer role, issued with the
 * admin's token. CI unwraps it once and logs in with it; what that login can do is in README, Security.
 * Older secret IDs are destroyed by the caller, once the new one is delivered (revokePreviousSecretIds).
 */
import { issuerRoleName, type MaasVaultConfig } from '../config/index.js';
import type { VaultClient } from './client.js';
import { issueWrappedSecretId, readRoleId, wrappingExpiry } from './approle.js';

export interface IssuerCredentials {
  role: string;
  roleId: string;
  wrappedToken: string;
  expiresAt: string;
  secretIdAccessor: string;
}

export async function issueIssuerCredentials(client: VaultClient, config: MaasVaultConfig, options: { wrapTtl: string }): Promise<IssuerCredentials> {
  const role = issuerRoleName(config);
  const [roleId, wrapped] = await Promise.all([
    readRoleId(client, role),
    issueWrappedSecretId(client, role, options.wrapTtl, { site: config.site, issued_by: 'maas-vault credentials --issuer' }),
  ]);
  return {
    role,
    roleId,
    wrappedToken: wrapped.wrappingToken,
    expiresAt: wrappingExpiry(wrapped),
    secretIdAccessor: wrapped.secretIdAccessor,
  };
}
