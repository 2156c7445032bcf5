/**
 * destroy lists the mounts it created twice: before it asks, and right before the engine deletes
 * them. Each listing reads the ACL policies once (one LIST, one GET per policy) whatever the number
 * of mounts, and both keep a mount by the same test. Counted at a recording proxy in front of a
 * real server.
 */
import { VaultClient } from '../../vault/client.js';
import { destroyPlan, refuseNewNeighbours } from '../../cli/commands/destroy-plan.js';
import type { StateResource } from '../../engine/state.js';
import { testConfig } from '../support/configs.js';
import { vaultHttp } from '../support/http.js';
import { useServerBehindProxy } from '../support/recording-proxy.js';

const vault = useServerBehindProxy();

const asRoot = (method: string, path: string, body?: unknown) => vaultHttp(vault.server.address, method, path, { token: vault.server.rootToken, body });
const grantOn = (path: string) => `path "${path}" {\n  capabilities = ["create", "read", "update", "delete", "list"]\n}\n`;
/** The ACL policy reads one listing made: LISTs of sys/policies/acl, and GETs of each policy by name. */
const policyReads = () => ({
  lists: vault.proxy.seen.filter(({ line, query }) => line === 'GET /v1/sys/policies/acl' && query === 'list=true').length,
  gets: vault.proxy.seen
    .filter(({ line, query }) => line.startsWith('GET /v1/sys/policies/acl/') && query === '')
    .map(({ line }) => line.slice('GET /v1/sys/policies/acl/'.length))
    .sort(),
});

it('each listing reads the policies once for three mounts; a grant written between the listings is refused, naming the policy', async () => {
  for (const mount of ['kv-one', 'kv-two', 'kv-three']) {
    expect((await asRoot('POST', `sys/mounts/${mount}`, { type: 'kv', options: { version: '2' } })).status).toBe(204);
    expect((await asRoot('POST', `${mount}/data/maas/controller/1/database-creds`, { data: { password: 'pw' } })).status).toBe(200);
  }
  // This site's own policy (skipped), another site's on kv-two, and one that grants on no mount of this site.
  expect((await asRoot('PUT', 'sys/policies/acl/maas_lab', { policy: grantOn('kv-one/data/maas/*') })).status).toBe(204);
  expect((await asRoot('PUT', 'sys/policies/acl/maas_tenant', { policy: grantOn('kv-two/data/maas-tenant/*') })).status).toBe(204);
  expect((await asRoot('PUT', 'sys/policies/acl/unrelated', { policy: grantOn('secret/data/app/*') })).status).toBe(204);
  const resources: StateResource[] = [
    ...['kv-one', 'kv-two', 'kv-three'].map((mount) => ({
      mode: 'managed' as const,
      type: 'vault_mount',
      name: mount.replace('-', '_'),
      instances: [{ attributes: { path: mount } }],
    })),
    { mode: 'managed', type: 'vault_policy', name: 'maas', instances: [{ attributes: { name: 'maas_lab' } }] },
  ];
  const config = testConfig({ site: 'lab', vault: { address: vault.proxy.address }, kv: { mount: 'kv-one' } });
  const client = new VaultClient({ address: vault.proxy.address, token: vault.server.rootToken });
  try {
    vault.proxy.seen.splice(0);
    const plan = await destroyPlan(client, config, resources);
    expect(plan.mounts).toEqual(['kv-one', 'kv-three']);
    expect(plan.keepShared.map(({ mount, grantedBy, own }) => ({ mount, grantedBy, own }))).toEqual([
      { mount: 'kv-two', grantedBy: ['maas_tenant'], own: ['maas/controller/1/database-creds'] },
    ]);
    // One LIST, one GET of each policy that is not this site's own (nor root): not one round per mount.
    expect(policyReads()).toEqual({ lists: 1, gets: ['default', 'maas_tenant', 'unrelated'] });

    vault.proxy.seen.splice(0);
    await expect(refuseNewNeighbours(client, config, plan, undefined)).resolves.toBeUndefined();
    expect(policyReads()).toEqual({ lists: 1, gets: ['default', 'maas_tenant', 'unrelated'] });

    // Another site adopts kv-three while the prompt waits: its policy keeps the mount, though it stored nothing yet.
    expect((await asRoot('PUT', 'sys/policies/acl/maas_late', { policy: grantOn('kv-three/data/maas-late/*') })).status).toBe(204);
    vault.proxy.seen.splice(0);
    const refused = refuseNewNeighbours(client, config, plan, undefined);
    await expect(refused).rejects.toMatchObject({ exitCode: 2 });
    await expect(refused).rejects.toThrow(
      'destroy refused: the policy maas_late now grants on kv-three/maas-late/, written after destroy listed the KV mount kv-three/ ' +
        '(another site adopted it: its regions would lose their mount). The engine deleted nothing. Run `maas-vault destroy` again: it keeps that mount for them',
    );
    expect(policyReads()).toEqual({ lists: 1, gets: ['default', 'maas_late', 'maas_tenant', 'unrelated'] });
    // The listings only read: every mount and this site's secrets are where they were.
    for (const mount of ['kv-one', 'kv-two', 'kv-three']) {
      expect((await asRoot('GET', `${mount}/data/maas/controller/1/database-creds`)).body.data?.data?.password).toBe('pw');
    }
  } finally {
    await client.close();
  }
});
