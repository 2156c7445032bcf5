/** Whose state a work directory holds: the record written at apply, compared before the engine runs. */
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareSiteRecord, readSiteRecord, siteRecordPath, writeSiteRecord } from '../../engine/site-record.js';

describe('site record', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'maas-vault-record-'));
  const record = { site: 'dc1', vault: { address: 'https://vault-a:8200', clusterId: 'cluster-a' } };

  it('is written owner-only and read back', () => {
    expect(readSiteRecord(workDir)).toBeUndefined();
    writeSiteRecord(workDir, record);
    expect(statSync(siteRecordPath(workDir)).mode & 0o777).toBe(0o600);
    expect(readSiteRecord(workDir)).toMatchObject(record);
  });

  it('tells another site, another cluster and a moved address apart', () => {
    const stored = readSiteRecord(workDir);
    expect(compareSiteRecord(undefined, { site: 'dc1', address: 'x', clusterId: 'c' })).toEqual({ kind: 'none' });
    expect(compareSiteRecord(stored, { site: 'dc1', address: 'https://vault-a:8200', clusterId: 'cluster-a' })).toEqual({ kind: 'same' });
    expect(compareSiteRecord(stored, { site: 'dc2', address: 'https://vault-a:8200', clusterId: 'cluster-a' }).kind).toBe('other-site');
    expect(compareSiteRecord(stored, { site: 'dc1', address: 'https://vault-b:8200', clusterId: 'cluster-b' }).kind).toBe('other-cluster');
    expect(compareSiteRecord(stored, { site: 'dc1', address: 'https://vault-a2:8200', clusterId: 'cluster-a' })).toEqual({
      kind: 'moved',
      from: 'https://vault-a:8200',
    });
    // A server that cannot say its cluster ID (sealed) is not judged by it.
    expect(compareSiteRecord(stored, { site: 'dc1', address: 'https://vault-a:8200' })).toEqual({ kind: 'same' });
  });
});
