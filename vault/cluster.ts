/**
 * What `status` says about a Vault HA cluster: which node is active, which are standbys, and
 * whether standbys answer reads themselves, which is what breaks MAAS's `configure` when MAAS
 * talks to a standby (it writes a test secret and reads it back at once). What a server can tell
 * differs: OpenBao says in its sanitized config whether standbys serve reads; HashiCorp Vault's
 * community edition never lets them, and its Enterprise performance standbys always do.
 */
import type { RequestOptions, VaultClient } from './client.js';

export interface ClusterReport {
  haEnabled: boolean;
  /** The node at the configured address is a standby. */
  isStandby: boolean;
  activeAddress?: string;
  /** API addresses of the other nodes; undefined when the token may not read sys/ha-status. */
  standbys?: string[];
  /** From the node's sanitized config; undefined when the token may not read it. */
  standbyReads?: boolean;
  /** What this means for MAAS, in words; empty when nothing. */
  warnings: string[];
}

/**
 * `sys/leader` as both servers answer it (unauthenticated, its fields at the top level). Left out:
 * is_self and leader_address by OpenBao when HA is off, and every field in an error answer.
 */
export interface LeaderStatus {
  ha_enabled?: boolean;
  is_self?: boolean;
  /** The active node's API address; empty when there is none. */
  leader_address?: string;
}

/** sys/leader, sent without a token; `options.accept` lists the error statuses that come back as an answer. */
export async function readLeader(client: VaultClient, options: RequestOptions): Promise<LeaderStatus & { status: number }> {
  const answer: unknown = await client.read<never>('sys/leader', { ...options, token: null });
  return answer as LeaderStatus & { status: number };
}

/** Answered by the node at the address itself: forwarding to the active node would hide a standby. */
const THIS_NODE: RequestOptions = { forwardToActive: false, accept: [400, 403, 404, 405, 500] };

export const STANDBY_READS_ADVICE =
  'point MAAS (vault.maasAddress) at the active node or at a load balancer that routes only to it ' +
  '(sys/health answers 200 only there), or set disable_standby_reads = true on every Vault node and restart them';

export async function clusterReport(client: VaultClient): Promise<ClusterReport> {
  const body = await readLeader(client, THIS_NODE);
  if (body.status !== 200 || !body.ha_enabled) return { haEnabled: false, isStandby: false, warnings: [] };

  const profile = await client.serverProfile();
  // HashiCorp Vault's community edition has no read-serving standbys: every standby forwards every
  // request to the active node, so there is no setting to read. (`disable_standby_reads` is OpenBao's.)
  const forwardsEverything = profile?.flavour === 'Vault' && !profile.enterprise;
  const [ha, settings] = await Promise.all([
    client.read<{ nodes: { api_address: string; active_node: boolean }[] }>('sys/ha-status', THIS_NODE),
    forwardsEverything ? undefined : client.read<{ disable_standby_reads?: boolean }>('sys/config/state/sanitized', THIS_NODE),
  ]);
  const standbys = ha.status === 200 ? ha.data?.nodes.filter((node) => !node.active_node).map((node) => node.api_address) : undefined;
  const disabled = forwardsEverything ? true : settings?.status === 200 ? settings.data?.disable_standby_reads : undefined;
  const standbyReads = disabled === undefined ? undefined : !disabled;
  const report: ClusterReport = {
    haEnabled: true,
    isStandby: body.is_self === false,
    activeAddress: body.leader_address || undefined,
    standbys,
    standbyReads,
    warnings: [],
  };
  // Unknown is not a finding: the admin policy may read the setting, so only a token without it cannot tell, and status says "unknown" on its line.
  if (standbyReads === true) {
    report.warnings.push(
      'standbys answer reads themselves: ' +
        'a MAAS region pointed at a standby can fail `maas config-vault configure` with a 404 when it reads back the test secret it just wrote; ' +
        STANDBY_READS_ADVICE,
    );
  }
  return report;
}
