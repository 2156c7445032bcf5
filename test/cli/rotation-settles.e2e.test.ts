/**
 * A finished rotation leaves the site green: once `rotate --finish` destroyed the stack's secret ID
 * (the region now runs on the one `rotate` issued), the stack stops managing that controller's
 * secret ID, so status is clean, the plan empty, and apply issues no second live secret ID. A
 * second rotation cycle ends the same way.
 */
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { roleName } from '../../config/index.js';
import { maasConfigure, vaultHttp } from '../support/http.js';
import { TestSite } from '../support/site.js';
import { describeE2E } from '../support/tiers.js';
import { serverBinary } from '../support/matrix.js';

describeE2E('a finished rotation settles (e2e: engine + provider)', () => {
  let server: OpenBaoServer;
  let site: TestSite;
  const role = roleName({ site: 'settle' }, 'region-1');

  const liveAccessors = async (): Promise<string[]> => {
    const listed = await vaultHttp(server.address, 'LIST', `auth/approle/role/${role}/secret-id`, { token: server.rootToken });
    return listed.status === 404 ? [] : (listed.body.data.keys as string[]);
  };

  /** What MAAS does with the printed command: unwrap, log in, write and read its test secret. */
  const rotateAndConfigure = async (): Promise<{ accessor: string; roleId: string; secretId: string }> => {
    const rotated = await site.cli(['rotate', '--json', '--controller', 'region-1']);
    expect(rotated.exitCode).toBe(0);
    const [started] = JSON.parse(rotated.stdout).controllers as Array<{ roleId: string; wrappedToken: string; secretIdAccessor: string }>;
    const maas = await maasConfigure(server.address, { roleId: started.roleId, wrappedToken: started.wrappedToken, secretsPath: 'maas', mount: 'kv-settle' });
    const finished = await site.cli(['rotate', '--finish', '--auto-approve']);
    expect(finished.exitCode).toBe(0);
    return { accessor: started.secretIdAccessor, roleId: started.roleId, secretId: maas.secretId };
  };

  /** The region logs in again with its stored secret_id (as MAAS does forever) and reads and writes its secrets. */
  const regionStillWorks = async (roleId: string, secretId: string): Promise<void> => {
    const login = await vaultHttp(server.address, 'POST', 'auth/approle/login', { body: { role_id: roleId, secret_id: secretId } });
    expect(login.status).toBe(200);
    const token = login.body.auth.client_token as string;
    expect((await vaultHttp(server.address, 'POST', 'kv-settle/data/maas/after', { token, body: { data: { value: 'still' } } })).status).toBe(200);
    const read = await vaultHttp(server.address, 'GET', 'kv-settle/data/maas/after', { token });
    expect(read.status).toBe(200);
    expect(read.body.data.data.value).toBe('still');
  };

  const expectSettled = async (accessor: string, roleId: string, secretId: string): Promise<void> => {
    expect(await liveAccessors()).toEqual([accessor]);
    const status = await site.cli(['status']);
    expect({ exitCode: status.exitCode, stdout: status.stdout }).toEqual({ exitCode: 0, stdout: expect.stringContaining('Vault matches the config.') });
    const plan = await site.cli(['plan', '--detailed-exitcode']);
    expect({ exitCode: plan.exitCode, stderr: plan.stderr }).toEqual({ exitCode: 0, stderr: expect.any(String) });
    // apply changes nothing, and says what is true of the rotated controller: no wrapping token to hand out.
    const applied = await site.cli(['apply', '--auto-approve']);
    expect(applied.exitCode).toBe(0);
    expect(applied.stdout).not.toMatch(/config-vault configure/);
    expect(applied.stdout).toContain('# region-1\n#   its secret ID is managed by `maas-vault rotate`');
    expect(await liveAccessors()).toEqual([accessor]);
    const output = await site.cli(['output', '--json']);
    expect(output.exitCode).toBe(0);
    const [listed] = JSON.parse(output.stdout).controllers as Array<Record<string, unknown>>;
    expect(listed.wrappedToken).toBeUndefined();
    expect(listed.secretIdAccessor).toBe(accessor);
    expect((await site.cli(['status'])).exitCode).toBe(0);
    expect((await site.cli(['plan', '--detailed-exitcode'])).exitCode).toBe(0);
    await regionStillWorks(roleId, secretId);
  };

  beforeAll(async () => {
    server = await startDevServer({ bao: serverBinary() });
    site = new TestSite(server, { site: 'settle', kv: { mount: 'kv-settle' }, controllers: [{ name: 'region-1' }] });
    await site.apply();
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('leaves status clean, the plan empty and one live secret ID, cycle after cycle', async () => {
    expect(await liveAccessors()).toHaveLength(1);
    expect((await site.cli(['status'])).exitCode).toBe(0);

    const first = await rotateAndConfigure();
    await expectSettled(first.accessor, first.roleId, first.secretId);

    const second = await rotateAndConfigure();
    expect(second.accessor).not.toBe(first.accessor);
    await expectSettled(second.accessor, second.roleId, second.secretId);
    // The first rotation's secret ID was destroyed by the second --finish.
    const old = await vaultHttp(server.address, 'POST', 'auth/approle/login', { body: { role_id: first.roleId, secret_id: first.secretId } });
    expect(old.status).toBe(400);

    // The rotated secret ID is what status checks now: gone, it is drift, and the fix is to rotate.
    const gone = await vaultHttp(server.address, 'POST', `auth/approle/role/${role}/secret-id-accessor/destroy`, {
      token: server.rootToken,
      body: { secret_id_accessor: second.accessor },
    });
    expect(gone.status).toBe(204);
    const status = await site.cli(['status']);
    expect(status.exitCode).toBe(4);
    expect(status.stdout).toContain(
      'the one rotation handed it no longer exists (destroyed or expired): `maas-vault rotate --controller region-1` issues a new one',
    );
  });
});
