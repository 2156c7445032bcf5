/** Failures that belong to a Vault HA cluster rather than to one request. */
import { VaultError } from './errors.js';
import { cliCommand, type ServerFlavour } from './server-flavour.js';

/**
 * Every retry met a node that could not reach an active node: a leader election that did not
 * finish in time, or a cluster that lost its quorum. Nothing the request asked for was done.
 * `flavour`: the server's, when the node said.
 */
export class VaultNoLeaderError extends VaultError {
  override name = 'VaultNoLeaderError';
  override readonly exitCode = 3;
  constructor(
    readonly address: string,
    readonly attempts: number,
    readonly lastAnswer: string,
    flavour: ServerFlavour | undefined,
  ) {
    super(
      `the Vault cluster behind ${address} has no active node (${attempts} attempts; last answer: ${lastAnswer}): ` +
        `a leader election is under way or the cluster lost its quorum. Check ${cliCommand(flavour, 'operator raft list-peers')}, ` +
        'then run this again; VAULT_MAX_RETRIES raises the number of attempts',
    );
  }
}

/**
 * The address reaches a standby that answers reads from its own, lagging copy, and the active node
 * it names cannot be reached from here: the engine would write through the standby and read back
 * stale answers ("Provider produced inconsistent result after apply"). Nothing was sent to change Vault.
 */
export class VaultActiveNodeUnreachableError extends VaultError {
  override name = 'VaultActiveNodeUnreachableError';
  override readonly exitCode = 3;
  constructor(
    readonly address: string,
    readonly activeAddress: string | undefined,
    reason: string,
  ) {
    super(
      `${address} is a standby of a Vault cluster that answers reads itself, and the active node ` +
        `${activeAddress ? `it names (${activeAddress}) cannot be reached from here (${reason})` : 'is not named by sys/leader'}: ` +
        "the engine's reads after its writes would be stale. Point VAULT_ADDR at the active node's API address as this machine reaches it, " +
        'or set disable_standby_reads = true on every node; nothing was changed in Vault',
    );
  }
}
