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
import { readToolchain } from '../../toolchain/index.js';
import { vaultHttp } from './http.js';

export function startTestCluster(options: { disableStandbyReads?: boolean } = {}): Promise<RaftCluster> {
  return startRaftCluster({ bao: readToolchain().bao.path, dataDir: mkdtempSync(join(tmpdir(), 'maas-vault-raft-')), ...options });
}

export function siteConfig(address: string, input: Record<string, unknown>): MaasVaultConfig {
  return validateConfig({ vault: { address }, ...input }, { env: {}, source: 'test' });
}

async function call(address: string, token: string, method: string, path: string, body?: unknown): Promise<void> {
  const answer = await vaultHttp(address, method, path, { token, body });
  if (answer.status >= 300) throw new Error(`cluster set-up: ${method} ${path} answered ${answer.status}: ${JSON.stringify(answer.body.errors)}`);
}

/** The docs' steps, through the active node; roles are created a few at a time to keep the cluster responsive. */
export async function setUpSite(cluster: RaftCluster, config: MaasVaultConfig): Promise<void> {
  const { address } = await cluster.active();
  const token = cluster.rootToken;
  const auth = await vaultHttp(address, 'GET', 'sys/auth', { token });
  if (!auth.body.data?.['approle/']) await call(address, token, 'POST', 'sys/auth/approle', { type: 'approle' });
  const mounts = await vaultHttp(address, 'GET', 'sys/mounts', { token });
  if (!mounts.body.data?.[`${config.kv.mount}/`]) await call(address, token, 'POST', `sys/mounts/${config.kv.mount}`, { type: 'kv', options: { version: '2' } });
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
