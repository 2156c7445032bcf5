/**
 * A MAAS site on a 3-node OpenBao raft cluster, set up as the MAAS docs do it (approle, KV-v2,
 * the policy, one role per controller) with plain HTTP calls to the active node. No engine.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { roleName, seconds, validateConfig, type MaasVaultConfig } from '../../config/index.js';
import { renderMaasPolicy } from '../../policies/render.js';
import { startRaftCluster, type RaftCluster } from '../../toolchain/openbao-server.js';
import { vaultHttp } from './http.js';
import { serverBinary } from './matrix.js';

export function startTestCluster(options: { disableStandbyReads?: boolean } = {}): Promise<RaftCluster> {
  return startRaftCluster({ bao: serverBinary(), dataDir: mkdtempSync(join(tmpdir(), 'maas-vault-raft-')), ...options });
}

export function siteConfig(address: string, input: Record<string, unknown>): MaasVaultConfig {
  return validateConfig({ vault: { address }, ...input }, { env: {}, source: 'test' });
}

async function call(address: string, token: string, method: string, path: string, body?: unknown): Promise<void> {
  const answer = await vaultHttp(address, method, path, { token, body });
  if (answer.status >= 300) throw new Error(`cluster set-up: ${method} ${path} answered ${answer.status}: ${JSON.stringify(answer.body.errors)}`);
}

/**
 * A new KV-v2 mount answers 400 "Waiting for the primary to upgrade from non-versioned to versioned
 * data" on a node until that node has seen the upgrade finish: an admin waits for it before handing
 * the mount to MAAS, and so do the tests, whose subject is the standby's lag, not a mount being born.
 */
async function kvReadyOnEveryNode(cluster: RaftCluster, mount: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (const node of cluster.nodes.filter((candidate) => candidate.running())) {
    for (;;) {
      const answer = await vaultHttp(node.address, 'GET', `${mount}/config`, { token: cluster.rootToken });
      if (answer.status === 200) break;
      if (Date.now() > deadline) throw new Error(`cluster set-up: ${mount}/ on ${node.address} still answers ${answer.status} after 30 s`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** The docs' steps, through the active node; roles are created a few at a time to keep the cluster responsive. */
export async function setUpSite(cluster: RaftCluster, config: MaasVaultConfig): Promise<void> {
  const { address } = await cluster.active();
  const token = cluster.rootToken;
  const auth = await vaultHttp(address, 'GET', 'sys/auth', { token });
  if (!auth.body.data?.['approle/']) await call(address, token, 'POST', 'sys/auth/approle', { type: 'approle' });
  const mounts = await vaultHttp(address, 'GET', 'sys/mounts', { token });
  if (!mounts.body.data?.[`${config.kv.mount}/`]) {
    await call(address, token, 'POST', `sys/mounts/${config.kv.mount}`, { type: 'kv', options: { version: '2' } });
    await kvReadyOnEveryNode(cluster, config.kv.mount);
  }
  await call(address, token, 'POST', `sys/policies/acl/${config.policy.name}`, {
    policy: renderMaasPolicy({ mount: config.kv.mount, path: config.secretsPath, profile: config.policy.profile, lookupSelf: config.policy.lookupSelf }),
  });
  const pending = [...config.controllers];
  while (pending.length > 0) {
    await Promise.all(
      pending.splice(0, 10).map((controller) =>
        call(address, token, 'POST', `auth/approle/role/${roleName(config, controller.name)}`, {
          token_policies: [config.policy.name],
          token_ttl: seconds(config.tokenTtl),
          token_num_uses: 0,
          secret_id_num_uses: 0,
          bind_secret_id: true,
        }),
      ),
    );
  }
}
