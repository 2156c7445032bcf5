/**
 * destroy looks inside a KV mount before it deletes it: a mount this site
 * created may hold another site's secrets (a site that adopted it with its own secretsPath) or
 * another application's (`kv put` by hand). Those keep the mount; --delete-secrets deletes only
 * this site's own secrets under its secretsPath. A mount the admin token cannot list is not
 * guessed about: refused before any write.
 */
import { readFileSync } from 'node:fs';
import { execa } from 'execa';
import type { OpenBaoServer } from '../../toolchain/openbao-server.js';
import { vaultHttp } from '../support/http.js';
import { applyWithSecret, ownerAndTenant, regionReads, REGION_SECRET, startWithBaseSite, type Region } from '../support/region.js';
import { mountsOf } from '../support/root.js';
import { findFile, TestSite } from '../support/site.js';
import { stopAll } from '../support/stop.js';
import { describeE2E } from '../support/tiers.js';
import { serverBinary, serverCliName } from '../support/matrix.js';

describeE2E("destroy keeps a mount that holds others' data, and deletes only this site's own secrets (e2e: engine + provider)", () => {
  let server: OpenBaoServer;
  let base: Region;

  const mounts = () => mountsOf(server);
  const readAsRoot = async (mount: string, path: string) =>
    (await vaultHttp(server.address, 'GET', `${mount}/data/${path}`, { token: server.rootToken })).body.data?.data;
  const managedTypes = (site: TestSite) => {
    const state = findFile(site.dir, 'terraform.tfstate');
    if (!state) return [];
    return (JSON.parse(readFileSync(state, 'utf8')).resources as Array<{ mode: string; type: string }>)
      .filter((resource) => resource.mode === 'managed')
      .map((resource) => resource.type);
  };
  const reads = (region: Region) => regionReads(server, region);

  beforeAll(async () => ({ server, base } = await startWithBaseSite()));
  afterAll(() => stopAll(server));

  it('destroy of the site that created a mount another site adopted keeps the mount, says whose data kept it; the other region still reads', async () => {
    const { owner, tenant } = await ownerAndTenant(server, { owner: 'owner', tenant: 'tenant', mount: 'kv-shared', tenantPath: 'maas-tenant' });

    const destroyed = await owner.site.cli(['destroy', '--auto-approve']);
    expect([destroyed.exitCode, destroyed.exitCode === 0 ? '' : destroyed.all]).toEqual([0, '']);
    // Whose data kept it, with counts per top-level path, before and after.
    expect(destroyed.stderr).toContain(
      "and keep: the KV mount kv-shared/ and all its data: it holds 1 secret outside this site's secretsPath maas/ (maas-tenant/: 1)",
    );
    expect(destroyed.stdout).toContain('Kept the KV mount kv-shared/: 1 secret of others in it (maas-tenant/: 1)');
    expect(destroyed.stdout).toContain("this site's own 1 secret under maas/ stays in it (destroy --delete-secrets deletes it)");
    expect(destroyed.all).not.toContain('EVERY SECRET IN IT');

    expect(await mounts()).toContain('kv-shared/');
    expect(managedTypes(owner.site)).toEqual([]);
    expect(await reads(tenant)).toBe('pw-tenant');
    // Without the opt-in, this site's own secret stays too.
    expect((await readAsRoot('kv-shared', `maas/${REGION_SECRET}`))?.password).toBe('pw-owner');
    // The owner's region is gone with its role; the other site still plans clean on the kept mount.
    expect(await reads(owner)).toBe('login 400');
    expect((await tenant.site.plan()).changes).toBe(false);
    expect(await reads(base)).toBe('pw-base');
  });

  it("destroy --delete-secrets with another site in the mount deletes only this site's own secrets, says how many, and keeps the mount", async () => {
    const { owner, tenant } = await ownerAndTenant(server, { owner: 'owner2', tenant: 'tenant2', mount: 'kv-shared2', tenantPath: 'maas-tenant2' });

    const destroyed = await owner.site.cli(['destroy', '--auto-approve', '--delete-secrets']);
    expect([destroyed.exitCode, destroyed.exitCode === 0 ? '' : destroyed.all]).toEqual([0, '']);
    expect(destroyed.stderr).toContain("delete this site's own 1 secret under kv-shared2/maas/ (the mount and the 1 secret of others in it stay)");
    // The snapshot command of the server that answered, not the other's.
    expect(destroyed.stderr).toContain(`${serverCliName()} operator raft snapshot save`);
    expect(destroyed.stderr).not.toContain(`${serverCliName() === 'bao' ? 'vault' : 'bao'} operator raft snapshot save`);
    expect(destroyed.stdout).toContain("Deleted this site's 1 secret under kv-shared2/maas/");

    expect(await mounts()).toContain('kv-shared2/');
    expect((await vaultHttp(server.address, 'GET', `kv-shared2/metadata/maas/${REGION_SECRET}`, { token: server.rootToken })).status).toBe(404);
    expect(await reads(tenant)).toBe('pw-tenant2');
    expect((await tenant.site.plan()).changes).toBe(false);
    expect(await reads(base)).toBe('pw-base');
  });

  it("a token holding only `policy admin` may list the mount and delete this site's own secrets in it, not the others'", async () => {
    const { owner, tenant } = await ownerAndTenant(server, { owner: 'owner3', tenant: 'tenant3', mount: 'kv-shared3', tenantPath: 'maas-tenant3' });
    const rendered = await owner.site.cli(['policy', 'admin'], null);
    expect(rendered.stdout).toContain('path "kv-shared3/metadata/maas/*" {\n  capabilities = ["list", "delete"]\n}');
    expect(
      (await vaultHttp(server.address, 'PUT', 'sys/policies/acl/maas-admin-owner3', { token: server.rootToken, body: { policy: rendered.stdout } })).status,
    ).toBe(204);
    const token = (
      await vaultHttp(server.address, 'POST', 'auth/token/create', { token: server.rootToken, body: { policies: ['maas-admin-owner3'], ttl: '1h' } })
    ).body.auth.client_token as string;
    // No --delete-policy: the admin policy reads every role's settings, so the guard sees that no role staying names this site's policy.
    const destroyed = await owner.site.cli(['destroy', '--auto-approve', '--delete-secrets'], token);
    expect([destroyed.exitCode, destroyed.exitCode === 0 ? '' : destroyed.all]).toEqual([0, '']);
    expect(destroyed.stdout).toContain("Deleted this site's 1 secret under kv-shared3/maas/");
    expect((await vaultHttp(server.address, 'GET', `kv-shared3/metadata/maas/${REGION_SECRET}`, { token: server.rootToken })).status).toBe(404);
    expect(await reads(tenant)).toBe('pw-tenant3');
    expect(await reads(base)).toBe('pw-base');
  });

  it("with only `policy admin`, a role of another site naming this site's policy still makes destroy refuse without --delete-policy", async () => {
    const owner = await applyWithSecret(server, { site: 'owner5', approle: { adopt: true }, kv: { mount: 'kv-owner5' }, controllers: [{ name: 'region-1' }] });
    // Made by hand on another site: its tokens get this site's MAAS policy.
    const borrowed = await vaultHttp(server.address, 'POST', 'auth/approle/role/maas_other5_region-1', {
      token: server.rootToken,
      body: { token_policies: ['maas_owner5'] },
    });
    expect(borrowed.status).toBe(204);
    const rendered = await owner.site.cli(['policy', 'admin'], null);
    expect(
      (await vaultHttp(server.address, 'PUT', 'sys/policies/acl/maas-admin-owner5', { token: server.rootToken, body: { policy: rendered.stdout } })).status,
    ).toBe(204);
    const token = (
      await vaultHttp(server.address, 'POST', 'auth/token/create', { token: server.rootToken, body: { policies: ['maas-admin-owner5'], ttl: '1h' } })
    ).body.auth.client_token as string;

    const refused = await owner.site.cli(['destroy', '--auto-approve', '--delete-secrets'], token);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain('the policy maas_owner5 would be deleted while 1 role staying in Vault names it (maas_other5_region-1)');
    expect(refused.stderr).toContain('only with --delete-policy');
    expect(refused.stderr).not.toContain('not readable with this token');
    expect((await vaultHttp(server.address, 'GET', 'sys/policies/acl/maas_owner5', { token: server.rootToken })).status).toBe(200);
    expect(await mounts()).toContain('kv-owner5/');
    expect(await reads(owner)).toBe('pw-owner5');
    expect(await reads(base)).toBe('pw-base');
  });

  it("another application's data put by hand keeps the mount, with and without --delete-secrets; its data stays", async () => {
    const site = await applyWithSecret(server, { site: 'app', approle: { adopt: true }, kv: { mount: 'kv-app' }, controllers: [{ name: 'region-1' }] });
    const cli = (args: string[]) => execa(serverBinary(), args, { env: { VAULT_ADDR: server.address, VAULT_TOKEN: server.rootToken }, reject: false });
    for (const path of ['billing/db', 'billing/api', 'grafana/admin']) {
      const put = await cli(['kv', 'put', '-mount=kv-app', path, 'value=precious']);
      expect([put.exitCode, put.stderr]).toEqual([0, '']);
    }

    const destroyed = await site.site.cli(['destroy', '--auto-approve', '--delete-secrets']);
    expect([destroyed.exitCode, destroyed.exitCode === 0 ? '' : destroyed.all]).toEqual([0, '']);
    expect(destroyed.stderr).toContain("it holds 3 secrets outside this site's secretsPath maas/ (billing/: 2, grafana/: 1)");
    expect(destroyed.stderr).toContain("delete this site's own 1 secret under kv-app/maas/");

    expect(await mounts()).toContain('kv-app/');
    for (const path of ['billing/db', 'billing/api', 'grafana/admin']) expect((await readAsRoot('kv-app', path))?.value).toBe('precious');
    expect((await vaultHttp(server.address, 'GET', `kv-app/metadata/maas/${REGION_SECRET}`, { token: server.rootToken })).status).toBe(404);
    expect(await reads(base)).toBe('pw-base');
  });

  it('a mount the admin token may not list is refused before any write, naming the grant; nothing is deleted', async () => {
    const site = await applyWithSecret(server, { site: 'blind', approle: { adopt: true }, kv: { mount: 'kv-blind' }, controllers: [{ name: 'region-1' }] });
    const rendered = await site.site.cli(['policy', 'admin'], null);
    expect(rendered.exitCode).toBe(0);
    const listBlock = /# Before deleting this mount[^\n]*\npath "kv-blind\/metadata\/\*" \{\n {2}capabilities = \["list"\]\n\}\n/;
    expect(rendered.stdout).toMatch(listBlock);
    const blind = rendered.stdout.replace(listBlock, '');
    expect((await vaultHttp(server.address, 'PUT', 'sys/policies/acl/maas-admin-blind', { token: server.rootToken, body: { policy: blind } })).status).toBe(
      204,
    );
    const created = await vaultHttp(server.address, 'POST', 'auth/token/create', {
      token: server.rootToken,
      body: { policies: ['maas-admin-blind'], ttl: '1h' },
    });
    const token = created.body.auth.client_token as string;

    for (const flags of [[], ['--delete-secrets']]) {
      const refused = await site.site.cli(['destroy', '--auto-approve', ...flags], token);
      expect([refused.exitCode, refused.stderr]).toEqual([2, expect.stringContaining('the admin token may not list what the KV mount kv-blind/ holds')]);
      expect(refused.stderr).toContain('path "kv-blind/metadata/*" { capabilities = ["list"] }');
      expect(refused.stderr).toContain('Nothing was changed');
    }
    expect(await mounts()).toContain('kv-blind/');
    expect(await reads(site)).toBe('pw-blind');
    expect(managedTypes(site.site)).toContain('vault_mount');
  });
});
