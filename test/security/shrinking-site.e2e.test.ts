/**
 * A site whose config stops naming something it created (the issuer turned off, a controller
 * removed), applied by a token holding only the admin policy re-rendered for the new config:
 * apply deletes what the old state holds, so that policy must still let it refresh and delete
 * this site's own leftovers. Before, the engine stopped halfway on "permission denied". Every region that stays logs in and reads its secret throughout.
 */
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { maasConfigure, vaultHttp } from '../support/http.js';
import { regionReads, REGION_SECRET, type Region } from '../support/region.js';
import { TestSite } from '../support/site.js';
import { describeE2E } from '../support/tiers.js';
import { serverBinary } from '../support/matrix.js';

const POLICY = 'maas-admin-shrink';

describeE2E('a site that stops naming what it created, applied with only its admin policy (e2e: engine + provider)', () => {
  let server: OpenBaoServer;
  let site: TestSite;
  let admin: string;
  const regions = new Map<string, Region>();

  const status = async (path: string) => (await vaultHttp(server.address, 'GET', path, { token: server.rootToken })).status;

  /** As the README has an admin do it: render for the config as it is now, write with root. */
  async function writeAdminPolicy(): Promise<void> {
    const rendered = await site.cli(['policy', 'admin'], null);
    expect(rendered.exitCode).toBe(0);
    const written = await vaultHttp(server.address, 'PUT', `sys/policies/acl/${POLICY}`, { token: server.rootToken, body: { policy: rendered.stdout } });
    expect(written.status).toBe(204);
  }

  async function applyAsAdmin(...flags: string[]): Promise<void> {
    const result = await site.cli(['apply', '--auto-approve', ...flags], admin);
    expect([result.exitCode, result.exitCode === 0 ? '' : result.all]).toEqual([0, '']);
    const again = await site.cli(['plan', '--detailed-exitcode'], admin);
    expect([again.exitCode, again.exitCode === 0 ? '' : again.all]).toEqual([0, '']);
  }

  beforeAll(async () => {
    server = await startDevServer({ bao: serverBinary() });
    site = new TestSite(server, {
      site: 'shrink',
      kv: { mount: 'kv-shrink' },
      issuer: { enabled: true },
      controllers: [{ name: 'region-1' }, { name: 'region-2' }, { name: 'region-3' }],
    });
    await writeAdminPolicy();
    // Only the admin policy (and Vault's default, which every token carries): not root.
    admin = (await vaultHttp(server.address, 'POST', 'auth/token/create', { token: server.rootToken, body: { policies: [POLICY], ttl: '1h' } })).body.auth
      .client_token;
    await applyAsAdmin();
    for (const [name, issued] of await site.outputs()) {
      const configured = await maasConfigure(server.address, {
        roleId: issued.roleId,
        wrappedToken: issued.wrappedToken,
        secretsPath: 'maas',
        mount: 'kv-shrink',
      });
      const written = await vaultHttp(server.address, 'POST', `kv-shrink/data/maas/${REGION_SECRET}`, {
        token: configured.token,
        body: { data: { password: 'pw-shrink' } },
      });
      expect(written.status).toBe(200);
      regions.set(name, { site, mount: 'kv-shrink', secretsPath: 'maas', roleId: issued.roleId, secretId: configured.secretId });
    }
    expect([...regions.keys()].sort()).toEqual(['region-1', 'region-2', 'region-3']);
    expect(await status('auth/approle/role/maas-issuer_shrink')).toBe(200);
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('issuer turned off, the policy re-rendered: apply deletes the issuer policy and role; every region still reads', async () => {
    site.update((input) => ({ ...input, issuer: { enabled: false } }));
    await writeAdminPolicy();
    await applyAsAdmin('--replace-roles');
    expect(await status('sys/policies/acl/maas-issuer_shrink')).toBe(404);
    expect(await status('auth/approle/role/maas-issuer_shrink')).toBe(404);
    for (const region of regions.values()) expect(await regionReads(server, region)).toBe('pw-shrink');
  });

  it('a controller removed, the policy re-rendered: apply deletes its role only; the others still read', async () => {
    site.update((input) => ({ ...input, controllers: [{ name: 'region-1' }, { name: 'region-2' }] }));
    await writeAdminPolicy();
    await applyAsAdmin('--replace-roles');
    expect(await status('auth/approle/role/maas_shrink_region-3')).toBe(404);
    expect(await regionReads(server, regions.get('region-3')!)).toMatch(/^login 4\d\d$/);
    for (const name of ['region-1', 'region-2']) {
      expect(await status(`auth/approle/role/maas_shrink_${name}`)).toBe(200);
      expect(await regionReads(server, regions.get(name)!)).toBe('pw-shrink');
    }
  });
});
