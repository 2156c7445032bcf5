/** Failures that belong to a Vault HA cluster rather than to one request. */
import { VaultError } from './errors.js';

/**
 * Every retry met a node that could not reach an active node: a leader election that did not
 * finish in time, or a cluster that lost its quorum. Nothing the request asked for was done.
 */
export class VaultNoLeaderError extends VaultError {
  override name = 'VaultNoLeaderError';
  override readonly exitCode = 3;
  constructor(readonly address: string, readonly attempts: number, readonly lastAnswer: string) {
    super(
      `the Vault cluster behind ${address} has no active node (${attempts} attempts; last answer: ${lastAnswer}): ` +
        'a leader election is under way or the cluster lost its quorum. Check `vault operator raft list-peers` ' +
        '(OpenBao: `bao operator raft list-peers`), then run this again; VAULT_MAX_RETRIES raises the number of attempts',
    );
  }
}
