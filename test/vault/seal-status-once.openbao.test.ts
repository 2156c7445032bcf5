/**
 * `status` asks sys/seal-status whether the server is sealed and which server it is, and the client
 * asks it which server it is before its first request (for the consistency headers): one read
 * answers both. A recording proxy in front of a real server counts what reaches it.
 */
import { VaultClient } from '../../vault/client.js';
import { checkStatus } from '../../vault/status.js';
import { testConfig } from '../support/configs.js';
import { vaultHttp } from '../support/http.js';
import { onServer } from '../support/matrix.js';
import { useServerBehindProxy } from '../support/recording-proxy.js';

const vault = useServerBehindProxy();

it('status reads sys/seal-status once, and the client still knows the server (consistency headers as before)', async () => {
  const client = new VaultClient({ address: vault.proxy.address, token: vault.server.rootToken });
  try {
    vault.proxy.seen.splice(0);
    const report = await checkStatus(client, testConfig());
    const sealReads = vault.proxy.seen.filter(({ line }) => line === 'GET /v1/sys/seal-status');
    expect(sealReads).toHaveLength(1);
    expect(report.server).toMatchObject({ flavour: onServer('vault') ? 'Vault' : 'OpenBao', sealed: false, initialized: true });

    // The profile the client keeps is the one that read gave: the same cluster, no further read.
    const live = await vaultHttp(vault.server.address, 'GET', 'sys/seal-status');
    expect((await client.serverProfile())?.clusterId).toBe(live.body.cluster_id);
    expect(vault.proxy.seen.filter(({ line }) => line === 'GET /v1/sys/seal-status')).toHaveLength(1);

    // OpenBao gets the consistency headers on every authenticated request; HashiCorp Vault's community edition none.
    const mountsRead = vault.proxy.seen.find(({ line }) => line === 'GET /v1/sys/mounts');
    expect(mountsRead?.headers['x-vault-inconsistent']).toBe(onServer('vault') ? undefined : 'forward-active-node');
  } finally {
    await client.close();
  }
});
