/**
 * A revoked controller stays locked out: apply refuses while the config does not mark it, and
 * with `"revoked": true` neither apply nor a generation bump issues it a secret ID, until the
 * mark is removed.
 */
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { roleName } from '../../config/index.js';
import { maasConfigure, vaultHttp } from '../support/http.js';
import { TestSite } from '../support/site.js';
import { describeE2E } from '../support/tiers.js';
import { serverBinary } from '../support/matrix.js';

describeE2E('revoke sticks (e2e: engine + provider)', () => {
  let server: OpenBaoServer;
  let site: TestSite;

  const secretIds = async (controller: string): Promise<number> => {
    const listed = await vaultHttp(server.address, 'LIST', `auth/approle/role/${roleName({ site: 'stick' }, controller)}/secret-id`, {
      token: server.rootToken,
    });
    return listed.status === 404 ? 0 : listed.body.data.keys.length;
  };
  const mark = (revoked: boolean) =>
    site.update((input) => ({ ...input, controllers: [{ name: 'region-1' }, revoked ? { name: 'region-2', revoked: true } : { name: 'region-2' }] }));

  beforeAll(async () => {
    server = await startDevServer({ bao: serverBinary() });
    site = new TestSite(server, { site: 'stick', kv: { mount: 'kv-stick' }, controllers: [{ name: 'region-1' }, { name: 'region-2' }] });
    await site.apply();
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('survives apply and a generation bump until the mark is removed', async () => {
    const issued = (await site.outputs()).get('region-2')!;
    const maas = await maasConfigure(server.address, { roleId: issued.roleId, wrappedToken: issued.wrappedToken, secretsPath: 'maas', mount: 'kv-stick' });
    expect((await site.cli(['revoke', '--auto-approve', '--controller', 'region-2'])).exitCode).toBe(0);
    expect(await secretIds('region-2')).toBe(0);

    // Not marked yet: apply refuses before touching Vault.
    const refused = await site.cli(['apply', '--auto-approve']);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain('apply refused: `maas-vault revoke` cut off controllers[1] (region-2, revoked ');
    expect(await secretIds('region-2')).toBe(0);

    mark(true);
    const applied = await site.apply();
    expect(applied.stdout).toContain('#   revoked ("revoked": true in the config): no secret ID is issued for it');
    expect(await secretIds('region-2')).toBe(0);
    site.update((input) => ({ ...input, generation: 2 }));
    await site.apply();
    expect([await secretIds('region-1'), await secretIds('region-2')]).toEqual([1, 0]);
    expect((await site.plan()).changes).toBe(false);
    expect((await site.cli(['status'])).exitCode).toBe(0);
    const login = await vaultHttp(server.address, 'POST', 'auth/approle/login', { body: { role_id: issued.roleId, secret_id: maas.secretId } });
    expect(login.status).toBe(400);

    // Lifted: the mark removed, the next apply issues it a secret ID again.
    mark(false);
    const lifted = await site.apply();
    expect(lifted.stdout).toMatch(/^sudo maas config-vault configure \S+ \S+ \S+ maas --mount kv-stick$/m);
    expect(await secretIds('region-2')).toBe(1);
  });
});
