/**
 * A 404 when MAAS reads back the secret it has just written is the mark of a read-enabled standby:
 * the write went to the active node, the read was answered from the standby's older copy. So is a
 * refused unwrap of the wrapping token verify issued a moment before through the active node: the
 * standby does not know that token yet. verify replays MAAS faithfully, so it meets the same
 * failures; this says why, and what to do.
 */
import type { VaultClient } from './client.js';
import { clusterReport, STANDBY_READS_ADVICE } from './cluster.js';
import type { VerifyResult } from './verify.js';

export async function explainStandbyReads(client: VaultClient, results: VerifyResult[]): Promise<VerifyResult[]> {
  const readBack404 = (result: VerifyResult) =>
    !result.ok && (((result.step === 'read' || result.step === 'lookup-self') && (result.status === 404 || result.status === 403)) || result.step === 'unwrap');
  if (!results.some(readBack404)) return results;
  const cluster = await clusterReport(client).catch(() => undefined);
  if (!cluster?.isStandby || cluster.standbyReads === false) return results;
  const why =
    ` — ${client.address} is a standby of a Vault cluster (active node: ${cluster.activeAddress ?? 'unknown'}) that answers reads from its own copy, ` +
    'which lags the active node by a moment: what MAAS reads right after it was written through the active node (the wrapping token it unwraps, the secret it writes and reads back) may not be there yet. ' +
    `MAAS's configure fails the same way there. Fix: ${STANDBY_READS_ADVICE}`;
  return results.map((result) => (readBack404(result) ? { ...result, message: `${result.message}${why}` } : result));
}
