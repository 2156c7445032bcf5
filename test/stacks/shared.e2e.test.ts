/**
 * Things shared with other sites and applications on one Vault. A site's destroy never disables
 * the approle/ other sites' roles live under; adopting a shared KV mount writes only what MAAS
 * needs (cas_required=false), and neither apply nor destroy touches the other applications'
 * settings or secrets.
 */
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { maasConfigure, vaultHttp } from '../support/http.js';
import { TestSite } from '../support/site.js';
import { describeE2E } from '../support/tiers.js';
import { serverBinary } from '../support/matrix.js';

describeE2E('shared mounts and other sites (e2e: engine + provider)', () => {
  let server: OpenBaoServer;

  beforeAll(async () => {
    server = await startDevServer({ bao: serverBinary() });
  });

  afterAll(async () => {
    await server?.stop();
  });

  const http = (method: string, path: string, body?: unknown) => vaultHttp(server.address, method, path, { token: server.rootToken, body });

  it('destroying the site that enabled approle/ leaves it, and every role of the other site can still log in', async () => {
    const alpha = new TestSite(server, { site: 'alpha', kv: { mount: 'kv-alpha' }, controllers: [{ name: 'region-1' }, { name: 'region-2' }] });
    const beta = new TestSite(server, {
      site: 'beta',
      approle: { adopt: true },
      kv: { mount: 'kv-beta' },
      controllers: Array.from({ length: 5 }, (_, index) => ({ name: `region-${index + 1}` })),
    });
    await alpha.apply();
    await beta.apply();
    const betaControllers = await beta.outputs();

    const destroyed = await alpha.cli(['destroy', '--auto-approve']);
    expect(destroyed.exitCode).toBe(0);
    expect(destroyed.stderr).toContain('and keep: the auth method approle/, since 5 roles of others live under it');
    expect(destroyed.stdout).toContain('Kept the auth method approle/ with the 5 roles of others under it');

    expect((await http('GET', 'sys/auth')).body.data['approle/']?.type).toBe('approle');
    const left = (await http('LIST', 'auth/approle/role')).body.data.keys as string[];
    expect(left.sort()).toEqual([...betaControllers.values()].map((controller) => controller.role).sort());
    for (const controller of betaControllers.values()) {
      const configured = await maasConfigure(server.address, {
        roleId: controller.roleId,
        wrappedToken: controller.wrappedToken,
        secretsPath: 'maas',
        mount: 'kv-beta',
      });
      expect(configured.token).toBeTruthy();
    }
    expect((await beta.plan()).changes).toBe(false);
  });

  it("adopting the shared secret/ changes only cas_required; apply and destroy leave the other application's settings and secrets as found", async () => {
    // Independent of the test before: approle/ is there for gamma to adopt, whoever enabled it.
    if (!(await http('GET', 'sys/auth')).body.data['approle/']) expect((await http('POST', 'sys/auth/approle', { type: 'approle' })).status).toBe(204);
    expect((await http('POST', 'secret/config', { max_versions: 7, delete_version_after: '1h', cas_required: true })).status).toBe(204);
    expect((await http('POST', 'secret/data/billing/db', { options: { cas: 0 }, data: { password: 'billing-only' } })).status).toBe(200);
    const settings = async () => (await http('GET', 'secret/config')).body.data;
    const billing = async () => (await http('GET', 'secret/data/billing/db')).body.data;
    const before = await billing();

    const gamma = new TestSite(server, { site: 'gamma', approle: { adopt: true }, kv: { mount: 'secret', adopt: true }, controllers: [{ name: 'region-1' }] });
    await gamma.apply();
    expect(await settings()).toMatchObject({ max_versions: 7, delete_version_after: '1h0m0s', cas_required: false });
    expect(await billing()).toEqual(before);
    expect((await gamma.plan()).changes).toBe(false);

    await gamma.destroy();
    expect(await settings()).toMatchObject({ max_versions: 7, delete_version_after: '1h0m0s', cas_required: false });
    expect(await billing()).toEqual(before);
    expect((await http('GET', 'sys/mounts')).body.data['secret/']?.options).toEqual({ version: '2' });
  });
});
