/**
 * Two sites on one KV mount must not have nested secrets paths: with an owner at
 * `maas` and a tenant at `maas/dc2`, the owner's MAAS policy (`maas/*`) lets its regions read and
 * overwrite the tenant's secrets, and the owner's destroy counted the tenant's secrets as its own
 * and deleted them with --delete-secrets. apply refuses the overlap before any write, in either
 * order; destroy treats keys under a path another site's policy grants as that site's data.
 */
import { validateConfig } from '../../config/index.js';
import type { OpenBaoServer } from '../../toolchain/openbao-server.js';
import { vaultHttp } from '../support/http.js';
import { setUpLikeTheDocs } from '../support/manual-site.js';
import { applyWithSecret, ownerAndTenant, regionReads, REGION_SECRET, startWithBaseSite, type Region } from '../support/region.js';
import { listedAsRoot, mountsOf } from '../support/root.js';
import { TestSite } from '../support/site.js';
import { stopAll } from '../support/stop.js';
import { describeE2E } from '../support/tiers.js';

describeE2E('secrets paths of two sites on one mount may not nest (e2e: engine + provider)', () => {
  let server: OpenBaoServer;
  let base: Region;
  beforeAll(async () => ({ server, base } = await startWithBaseSite()));
  afterAll(() => stopAll(server));

  const root = (method: string, path: string, body?: unknown) => vaultHttp(server.address, method, path, { token: server.rootToken, body });
  const policies = () => listedAsRoot(server, 'sys/policies/acl');
  const roles = () => listedAsRoot(server, 'auth/approle/role');
  const reads = (region: Region) => regionReads(server, region);

  it("a tenant's secretsPath nested in the owner's (maas/dc2 under maas) is refused before anything is created", async () => {
    const owner = await applyWithSecret(server, { site: 'owner', approle: { adopt: true }, kv: { mount: 'kv-sh' }, controllers: [{ name: 'region-1' }] });
    const tenant = new TestSite(server, {
      site: 'tenant',
      approle: { adopt: true },
      kv: { mount: 'kv-sh', adopt: true },
      secretsPath: 'maas/dc2',
      controllers: [{ name: 'region-1' }],
    });

    for (const command of [['plan'], ['apply', '--auto-approve']]) {
      const refused = await tenant.cli(command);
      expect([refused.exitCode, refused.stderr]).toEqual([2, expect.stringContaining('kv-sh/maas/dc2/')]);
      expect(refused.stderr).toContain('kv-sh/maas/');
      expect(refused.stderr).toContain('maas_owner');
      expect(refused.stderr).toContain('a sibling path such as maas-dc2');
      expect(refused.stderr).toContain('nothing was changed');
    }
    // A token holding only the tenant's `policy admin` sees the owner's policy text too: the same refusal, not a permission denied.
    const rendered = await tenant.cli(['policy', 'admin'], null);
    expect((await root('PUT', 'sys/policies/acl/maas-admin-tenant', { policy: rendered.stdout })).status).toBe(204);
    const token = (await root('POST', 'auth/token/create', { policies: ['maas-admin-tenant'], ttl: '1h' })).body.auth.client_token as string;
    const refused = await tenant.cli(['apply', '--auto-approve'], token);
    expect([refused.exitCode, refused.stderr]).toEqual([2, expect.stringContaining('granted by the policy maas_owner')]);

    expect((await policies()).filter((name) => name.startsWith('maas_tenant'))).toEqual([]);
    expect((await roles()).filter((name) => name.includes('tenant'))).toEqual([]);
    expect(await reads(owner)).toBe('pw-owner');
  });

  it("the reverse order: an owner at maas applied after a tenant at maas/dc2 on the tenant's mount is refused", async () => {
    const tenant = await applyWithSecret(server, {
      site: 'first',
      approle: { adopt: true },
      kv: { mount: 'kv-rev' },
      secretsPath: 'maas/dc2',
      controllers: [{ name: 'region-1' }],
    });
    const owner = new TestSite(server, { site: 'second', approle: { adopt: true }, kv: { mount: 'kv-rev', adopt: true }, controllers: [{ name: 'region-1' }] });

    const refused = await owner.cli(['apply', '--auto-approve']);
    expect([refused.exitCode, refused.stderr]).toEqual([2, expect.stringContaining('kv-rev/maas/dc2/')]);
    expect(refused.stderr).toContain('maas_first');
    expect((await policies()).filter((name) => name.includes('second'))).toEqual([]);
    expect((await roles()).filter((name) => name.includes('second'))).toEqual([]);
    expect(await reads(tenant)).toBe('pw-first');
  });

  it('maas and maas2 on one mount do not overlap (a path-segment boundary): accepted, each region reads its own', async () => {
    const { owner: one, tenant: two } = await ownerAndTenant(server, { owner: 'one', tenant: 'two', mount: 'kv-seg', tenantPath: 'maas2' });
    expect(await reads(one)).toBe('pw-one');
    expect(await reads(two)).toBe('pw-two');
  });

  /** A tenant at maas/dc2 on an owner's mount, set up by hand as the MAAS docs do it (apply refuses it now); its region stores a secret. */
  const handMadeTenant = async (site: string, mount: string): Promise<Region> => {
    const config = validateConfig({
      site,
      vault: { address: server.address },
      kv: { mount, adopt: true },
      approle: { adopt: true },
      secretsPath: 'maas/dc2',
      controllers: [{ name: 'region-1' }],
    });
    await setUpLikeTheDocs(server, config);
    const roleId = (await root('GET', `auth/approle/role/maas_${site}_region-1/role-id`)).body.data.role_id as string;
    const secretId = (await root('POST', `auth/approle/role/maas_${site}_region-1/secret-id`)).body.data.secret_id as string;
    const login = await vaultHttp(server.address, 'POST', 'auth/approle/login', { body: { role_id: roleId, secret_id: secretId } });
    const written = await vaultHttp(server.address, 'POST', `${mount}/data/maas/dc2/${REGION_SECRET}`, {
      token: login.body.auth.client_token,
      body: { data: { password: `pw-${site}` } },
    });
    expect(written.status).toBe(200);
    return { site: new TestSite(server, { site }), mount, secretsPath: 'maas/dc2', roleId, secretId };
  };
  const mounts = () => mountsOf(server);

  it("destroy of an owner with a hand-made tenant nested in its path keeps the mount, says whose; the tenant's region still reads", async () => {
    const owner = await applyWithSecret(server, { site: 'holder', approle: { adopt: true }, kv: { mount: 'kv-nest' }, controllers: [{ name: 'region-1' }] });
    const tenant = await handMadeTenant('nested', 'kv-nest');

    const kept = await owner.site.cli(['destroy', '--auto-approve']);
    expect([kept.exitCode, kept.exitCode === 0 ? '' : kept.all]).toEqual([0, '']);
    expect(kept.stderr).toContain("and keep: the KV mount kv-nest/ and all its data: it holds 1 secret that are not this site's");
    expect(kept.stderr).toContain('(maas/dc2/: 1): granted by the policy maas_nested');
    expect(kept.stdout).toContain("this site's own 1 secret under maas/ stays in it");
    expect(kept.all).not.toContain('EVERY SECRET IN IT');
    expect(await mounts()).toContain('kv-nest/');
    expect((await root('GET', `kv-nest/data/maas/${REGION_SECRET}`)).body.data?.data?.password).toBe('pw-holder');
    expect(await reads(tenant)).toBe('pw-nested');
    expect(await reads(base)).toBe('pw-base');
  });

  it("destroy --delete-secrets of an owner with a hand-made nested tenant deletes only the owner's secret; the mount and the tenant's stay", async () => {
    const owner = await applyWithSecret(server, { site: 'holder2', approle: { adopt: true }, kv: { mount: 'kv-nest2' }, controllers: [{ name: 'region-1' }] });
    const tenant = await handMadeTenant('nested2', 'kv-nest2');

    const destroyed = await owner.site.cli(['destroy', '--auto-approve', '--delete-secrets']);
    expect([destroyed.exitCode, destroyed.exitCode === 0 ? '' : destroyed.all]).toEqual([0, '']);
    expect(destroyed.stderr).toContain("delete this site's own 1 secret under kv-nest2/maas/ (the mount and the 1 secret of others in it stay)");
    expect(destroyed.stdout).toContain("Deleted this site's 1 secret under kv-nest2/maas/");
    expect(await mounts()).toContain('kv-nest2/');
    expect((await root('GET', `kv-nest2/metadata/maas/${REGION_SECRET}`)).status).toBe(404);
    expect((await root('GET', `kv-nest2/data/maas/dc2/${REGION_SECRET}`)).body.data?.data?.password).toBe('pw-nested2');
    expect(await reads(tenant)).toBe('pw-nested2');
    expect(await reads(base)).toBe('pw-base');
  });

  it("destroy --delete-secrets keeps a mount another site's policy grants on though it holds none of that site's keys yet: its regions keep their mount", async () => {
    const owner = await applyWithSecret(server, { site: 'holder3', approle: { adopt: true }, kv: { mount: 'kv-nest3' }, controllers: [{ name: 'region-1' }] });
    // A sibling site set up by hand on the owner's mount, whose regions have not run `migrate` yet.
    const config = validateConfig({
      site: 'fresh',
      vault: { address: server.address },
      kv: { mount: 'kv-nest3', adopt: true },
      approle: { adopt: true },
      secretsPath: 'maas-fresh',
      controllers: [{ name: 'region-1' }],
    });
    await setUpLikeTheDocs(server, config);

    const destroyed = await owner.site.cli(['destroy', '--auto-approve', '--delete-secrets']);
    expect([destroyed.exitCode, destroyed.exitCode === 0 ? '' : destroyed.all]).toEqual([0, '']);
    expect(destroyed.stderr).toContain('granted by the policy maas_fresh');
    expect(await mounts()).toContain('kv-nest3/');
    expect((await root('GET', `kv-nest3/metadata/maas/${REGION_SECRET}`)).status).toBe(404);
    // The sibling's region can still do what `maas config-vault migrate` does: write under its path.
    const roleId = (await root('GET', 'auth/approle/role/maas_fresh_region-1/role-id')).body.data.role_id as string;
    const secretId = (await root('POST', 'auth/approle/role/maas_fresh_region-1/secret-id')).body.data.secret_id as string;
    const login = await vaultHttp(server.address, 'POST', 'auth/approle/login', { body: { role_id: roleId, secret_id: secretId } });
    const written = await vaultHttp(server.address, 'POST', `kv-nest3/data/maas-fresh/${REGION_SECRET}`, {
      token: login.body.auth.client_token,
      body: { data: { password: 'pw-fresh' } },
    });
    expect(written.status).toBe(200);
    expect(await reads(base)).toBe('pw-base');
  });
});
