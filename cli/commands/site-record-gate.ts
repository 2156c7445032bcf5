/**
 * Whose state a work directory holds (engine/site-record.ts), checked before a command writes to
 * Vault: the engine's commands (stack-session.ts) and those that call Vault themselves
 * (credentials, rotate, revoke), which would otherwise issue or destroy secret IDs of another
 * Vault's same-named site reached through an exported VAULT_ADDR.
 */
import type { MaasVaultConfig } from '../../config/index.js';
import { compareSiteRecord, readSiteRecord, type SiteRecordCheck } from '../../engine/site-record.js';
import type { VaultClient } from '../../vault/client.js';
import { UsageError } from '../exit-codes.js';

/** Refuses (exit 2) a work directory of another site or another cluster; returns the check otherwise. */
export function refuseForeignSiteRecord(config: MaasVaultConfig, clusterId: string | undefined, action?: string): SiteRecordCheck {
  const check = compareSiteRecord(readSiteRecord(config.workDir), { site: config.site, address: config.vault.address, clusterId });
  const where = config.vault.addressFromEnv ? 'VAULT_ADDR' : 'vault.address';
  const refused = action ? `${action} refused: ` : '';
  const would = action ? `${action} would` : 'its plan would';
  if (check.kind === 'other-site') {
    throw new UsageError(
      `${refused}the work directory ${config.workDir} holds the state of site ${check.recorded.site} (applied to ${check.recorded.vault.address}), ` +
        `and this config is site ${config.site}: ${would} rewrite or delete site ${check.recorded.site}'s mount, policy and roles. ` +
        'Give each site its own workDir (and state.schema with the pg backend). Nothing was changed.',
    );
  }
  if (check.kind === 'other-cluster') {
    throw new UsageError(
      `${refused}the state in ${config.workDir} belongs to site ${config.site} on the Vault cluster ${check.recorded.vault.clusterId} ` +
        `(applied at ${check.recorded.vault.address}), but ${where} ${config.vault.address} reaches another cluster, ${clusterId}: ` +
        `${would} act on that Vault's objects of the same names. Point ${where} back at ${check.recorded.vault.address}'s cluster ` +
        '(or, to set this site up on the new Vault, give it its own workDir). Nothing was changed.',
    );
  }
  return check;
}

/** credentials, rotate, revoke: before their first write, the Vault they reach is the one the work directory records. */
export async function refuseAnotherSitesVault(client: VaultClient, config: MaasVaultConfig, action: string): Promise<void> {
  refuseForeignSiteRecord(config, (await client.serverProfile())?.clusterId, action);
}
