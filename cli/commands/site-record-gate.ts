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
import { stateSchemaName } from '../../stacks/state-schema.js';

/**
 * What a command that only reads would get wrong on a foreign state: status and output hand out or
 * judge the state's credentials, and would send its wrapping tokens to the Vault they reach.
 */
export interface ReadingHarm {
  otherSite: string;
  otherCluster: string;
}

/** Refuses (exit 2) a work directory of another site or another cluster; returns the check otherwise. */
export function refuseForeignSiteRecord(config: MaasVaultConfig, clusterId: string | undefined, action?: string, reading?: ReadingHarm): SiteRecordCheck {
  const check = compareSiteRecord(readSiteRecord(config.workDir), { site: config.site, address: config.vault.address, clusterId });
  const where = config.vault.addressFromEnv ? 'VAULT_ADDR' : 'vault.address';
  const refused = action ? `${action} refused: ` : '';
  const would = action ? `${action} would` : 'its plan would';
  if (check.kind === 'other-site') {
    const harm = reading?.otherSite ?? `rewrite or delete site ${check.recorded.site}'s mount, policy and roles`;
    throw new UsageError(
      `${refused}the work directory ${config.workDir} holds the state of site ${check.recorded.site} (applied to ${check.recorded.vault.address}), ` +
        `and this config is site ${config.site}: ${would} ${harm}. ` +
        'Give each site its own workDir (and state.schema with the pg backend). Nothing was changed.',
    );
  }
  if (check.kind === 'other-cluster') {
    const harm = reading?.otherCluster ?? "act on that Vault's objects of the same names";
    throw new UsageError(
      `${refused}the state in ${config.workDir} belongs to site ${config.site} on the Vault cluster ${check.recorded.vault.clusterId} ` +
        `(applied at ${check.recorded.vault.address}), but ${where} ${config.vault.address} reaches another cluster, ${clusterId}: ` +
        `${would} ${harm}. Point ${where} back at ${check.recorded.vault.address}'s cluster ` +
        '(or, to set this site up on the new Vault, give it its own workDir). Nothing was changed.',
    );
  }
  return check;
}

/**
 * status and output: before they read the state's credentials against the Vault they reach (a
 * wrapping token is sent to sys/wrapping/lookup), the state is this config's and that Vault's.
 * True when Vault said which cluster it is: a Vault that did not answer is not asked again.
 */
export async function refuseForeignStateRead(client: VaultClient, config: MaasVaultConfig, action: 'status' | 'output'): Promise<boolean> {
  const reading: ReadingHarm =
    action === 'status'
      ? {
          otherSite: "report that site's roles and policy as drift of this one, with commands that would delete them",
          otherCluster: "send the state's wrapping tokens there and report that Vault's objects of the same names as this site's drift",
        }
      : {
          otherSite: "print that site's role IDs and wrapping tokens in this site's hand-off commands",
          otherCluster: "send the state's wrapping tokens there to ask whether they are spent",
        };
  const clusterId = (await client.serverProfile())?.clusterId;
  refuseForeignSiteRecord(config, clusterId, action, reading);
  if (config.state.backend !== 'pg') return clusterId !== undefined;
  // The row the state lives in may be another site's, from any work directory: the schema's record says whose.
  const schema = stateSchemaName(config);
  const { readPgSiteRecord } = await import('../../engine/pg-state.js');
  const check = compareSiteRecord(await readPgSiteRecord(schema).catch(() => undefined), { site: config.site, address: config.vault.address, clusterId });
  if (check.kind === 'other-site') {
    throw new UsageError(
      `${action} refused: the PostgreSQL schema ${schema} (state.schema) holds the state of site ${check.recorded.site} (applied to ` +
        `${check.recorded.vault.address}), and this config is site ${config.site}: ${action} would ${reading.otherSite}. ` +
        'Give each site its own state.schema (or leave it unset: maas_vault_<site>). Nothing was changed.',
    );
  }
  if (check.kind === 'other-cluster') {
    const where = config.vault.addressFromEnv ? 'VAULT_ADDR' : 'vault.address';
    throw new UsageError(
      `${action} refused: the state in the PostgreSQL schema ${schema} belongs to site ${config.site} on the Vault cluster ` +
        `${check.recorded.vault.clusterId} (applied at ${check.recorded.vault.address}), but ${where} ${config.vault.address} reaches ` +
        `another cluster, ${clusterId}: ${action} would ${reading.otherCluster}. Point ${where} back at ${check.recorded.vault.address}'s cluster. Nothing was changed.`,
    );
  }
  return clusterId !== undefined;
}

/** credentials, rotate, revoke: before their first write, the Vault they reach is the one the work directory records. */
export async function refuseAnotherSitesVault(client: VaultClient, config: MaasVaultConfig, action: string): Promise<void> {
  refuseForeignSiteRecord(config, (await client.serverProfile())?.clusterId, action);
}
