/**
 * Whose state a work directory holds: the site and the Vault cluster (seal-status `cluster_id`)
 * it was applied to, and the address it was reached at. Recorded at the first apply, checked
 * before the engine runs: a state is never planned against another site's config (a shared
 * workDir) or another Vault (an exported VAULT_ADDR, a changed vault.address), where its plan
 * would delete or rewrite that Vault's same-named mount, policy and roles.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SiteRecord {
  site: string;
  vault: { address: string; clusterId: string };
  recordedAt: string;
}

export const SITE_RECORD_FILE = 'site-record.json';

export function siteRecordPath(workDir: string): string {
  return join(workDir, SITE_RECORD_FILE);
}

/** The record, or undefined before the first apply (or for a work directory from before records). */
export function readSiteRecord(workDir: string): SiteRecord | undefined {
  const path = siteRecordPath(workDir);
  if (!existsSync(path)) return undefined;
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<SiteRecord>;
    if (typeof parsed.site !== 'string' || typeof parsed.vault?.address !== 'string' || typeof parsed.vault?.clusterId !== 'string') return undefined;
    return parsed as SiteRecord;
  } catch {
    return undefined;
  }
}

export function writeSiteRecord(workDir: string, record: Omit<SiteRecord, 'recordedAt'>): void {
  const path = siteRecordPath(workDir);
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify({ ...record, recordedAt: new Date().toISOString() }, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, path);
}

export function removeSiteRecord(workDir: string): void {
  rmSync(siteRecordPath(workDir), { force: true });
}

export type SiteRecordCheck =
  | { kind: 'none' }
  | { kind: 'same' }
  | { kind: 'moved'; from: string }
  | { kind: 'other-site'; recorded: SiteRecord }
  | { kind: 'other-cluster'; recorded: SiteRecord };

/** How the current site and Vault compare with the record; a cluster that cannot say its ID is not judged. */
export function compareSiteRecord(record: SiteRecord | undefined, current: { site: string; address: string; clusterId?: string }): SiteRecordCheck {
  if (!record) return { kind: 'none' };
  if (record.site !== current.site) return { kind: 'other-site', recorded: record };
  if (current.clusterId && record.vault.clusterId !== current.clusterId) return { kind: 'other-cluster', recorded: record };
  if (record.vault.address !== current.address) return { kind: 'moved', from: record.vault.address };
  return { kind: 'same' };
}
