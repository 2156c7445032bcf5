/**
 * Where the engine's provider sends its requests. maas-vault's own requests carry headers that make
 * any node answer as the active one (see ha-requests.ts); the provider's do not. It writes a role
 * and reads it back at once, and a standby that serves reads from its own copy answers that read
 * from before the write ("Root object was present, but now absent"). So the engine talks to the
 * active node's API address (sys/leader's `leader_address`) when the configured address reaches a
 * standby, checked reachable first; where it cannot be reached and standbys serve reads, the run
 * stops before the engine starts.
 */
import { engineOutput } from '../engine/errors.js';
import { VaultClient } from './client.js';
import { clusterReport } from './cluster.js';
import { VaultActiveNodeUnreachableError } from './cluster-errors.js';

export interface EngineRoute {
  /** The address the provider is given. */
  address: string;
  /** Said once when it is not the configured address, or why it stays. */
  note?: string;
}

export async function engineRoute(client: VaultClient, caCert: string | undefined, clientCert?: { cert: string; key: string }): Promise<EngineRoute> {
  const cluster = await clusterReport(client);
  if (!cluster.haEnabled || !cluster.isStandby) return { address: client.address };
  const active = cluster.activeAddress?.replace(/\/+$/, '');
  const reachable = active ? await answersAsActive(active, caCert, clientCert) : 'sys/leader names no active node';
  if (active && reachable === true) {
    return { address: active, note: `${client.address} is a standby of a Vault cluster: the engine talks to the active node ${active} (sys/leader)` };
  }
  if (cluster.standbyReads === false) {
    return {
      address: client.address,
      note: `${client.address} is a standby whose requests all go to the active node, so the engine uses it (the active node ${active ?? '(unnamed)'} cannot be reached from here: ${reachable})`,
    };
  }
  throw new VaultActiveNodeUnreachableError(client.address, active, typeof reachable === 'string' ? reachable : 'not the active node');
}

/** true when the address answers sys/health as the active node (200), else why not. */
async function answersAsActive(address: string, caCert: string | undefined, clientCert?: { cert: string; key: string }): Promise<true | string> {
  const probe = new VaultClient({ address, caCert, clientCert, timeoutMs: 5000, retry: { maxRetries: 0, baseDelayMs: 0, maxDelayMs: 0 } });
  try {
    const health = await probe.read('sys/health?standbyok=false', { token: null, forwardToActive: false, accept: [429, 472, 473, 501, 503] });
    return health.status === 200 ? true : `it answers sys/health with ${health.status}, not as the active node`;
  } catch (error) {
    return (error as Error).message.replace(/^Vault at \S+ is unreachable \(([^)]*)\).*$/s, '$1');
  } finally {
    await probe.close();
  }
}

/**
 * The active node the engine was routed to went away mid-run (killed, crashed, network cut): the
 * provider fails every request in flight with "connection refused" and the engine prints one error
 * block per resource. Said once instead: which node, what the cluster says now, and what to run.
 * Exit 3 (Vault unreachable).
 */
export class VaultActiveNodeLostError extends Error {
  override name = 'VaultActiveNodeLostError';
  readonly exitCode = 3;
}

const LOST_CONNECTION = /(connect: connection refused|connection reset by peer|: EOF\b|i\/o timeout|no route to host)/;

export async function explainLostActiveNode(error: unknown, client: VaultClient | undefined, routed: string | undefined, action: string): Promise<unknown> {
  const output = engineOutput(error);
  if (output === undefined || !client || !routed || routed === client.address) return error;
  const host = routed.replace(/^https?:\/\//, '');
  const lost = output.split('\n').find((line) => line.includes(host) && LOST_CONNECTION.test(line));
  if (!lost) return error;
  const failed = new Set([...output.matchAll(/^(?:\s*│\s*)?Error: .*?"(auth\/[^"]+|sys\/[^"]+|[^"\s]+\/[^"\s]+)"/gm)].map(([, path]) => path)).size;
  const how = LOST_CONNECTION.exec(lost)?.[1] ?? 'no answer';
  let now: string;
  try {
    const cluster = await clusterReport(client);
    const active = cluster.activeAddress?.replace(/\/+$/, '');
    now =
      active && active !== routed
        ? ` The cluster now names ${active} as its active node.`
        : ' The cluster has not named a new active node yet (an election takes seconds).';
  } catch {
    now = ` ${client.address} does not answer either.`;
  }
  return new VaultActiveNodeLostError(
    `${action} stopped partway: the active node ${routed} stopped answering (${how}) while the engine was writing to it` +
      `${failed > 0 ? `; ${failed} request${failed === 1 ? '' : 's'} in flight failed` : ''}. ` +
      `Vault holds part of the change, and the state records what was confirmed.${now} ` +
      `Once a node answers, run \`maas-vault ${action}\` again through a node that answers (any node: the engine is routed to the active one): ` +
      `it picks up where this one stopped${action === 'apply' ? ' and removes secret IDs this run issued but did not record' : ''}`,
  );
}
