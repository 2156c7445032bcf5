/**
 * Two sites on one Vault, named as in the issue so that the old scheme gave them the same role
 * (`dc1` + `b-region-1`, `dc1-b` + `region-1`). Everything done to one site (apply, a generation
 * bump, plan, status, revoke, destroy) leaves the other's role IDs, policies and its configured
 * region's ability to log in exactly as they were.
 */
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { maasConfigure, vaultHttp } from '../support/http.js';
import { TestSite } from '../support/site.js';
import { describeE2E } from '../support/tiers.js';
import { serverBinary } from '../support/matrix.js';

describeE2E('two sites sharing one Vault (e2e: engine + provider)', () => {
  let server: OpenBaoServer;
  let owner: TestSite;
  let neighbour: TestSite;
  let region: { roleId: string; secretId: string; token: string };

  let ownerRoles: string[] = [];
  let ownerPolicies: string[] = [];

  /**
   * What dc1-b has in Vault: every role and policy that existed before dc1 was applied, found by
   * listing (not by deriving names), with role IDs, settings and policy texts.
   */
  async function ownerState(): Promise<unknown> {
    const read = async (path: string) => (await vaultHttp(server.address, 'GET', path, { token: server.rootToken })).body.data ?? null;
    const roles = await Promise.all(
      ownerRoles.map(async (role) => ({ role, roleId: await read(`auth/approle/role/${role}/role-id`), settings: await read(`auth/approle/role/${role}`) })),
    );
    const policies = await Promise.all(ownerPolicies.map(async (policy) => ({ policy, text: await read(`sys/policies/acl/${policy}`) })));
    return { roles, policies };
  }

  /** The configured region: its token still works, and it can log in again with its secret ID. */
  async function regionWorks(): Promise<{ token: number; login: number }> {
    const token = (await vaultHttp(server.address, 'GET', 'auth/token/lookup-self', { token: region.token })).status;
    const login = (await vaultHttp(server.address, 'POST', 'auth/approle/login', { body: { role_id: region.roleId, secret_id: region.secretId } })).status;
    return { token, login };
  }

  beforeAll(async () => {
    server = await startDevServer({ bao: serverBinary() });
    // dc1-b creates approle/; dc1 adopts it (destroying the site that owns the mount would take every role with it).
    owner = new TestSite(server, { site: 'dc1-b', kv: { mount: 'kv-dc1-b' }, controllers: [{ name: 'region-1' }] });
    neighbour = new TestSite(server, {
      site: 'dc1',
      kv: { mount: 'kv-dc1' },
      approle: { adopt: true },
      issuer: { enabled: true },
      controllers: [{ name: 'b-region-1' }, { name: 'region-2' }],
    });
    await owner.apply();
    const issued = (await owner.outputs()).get('region-1')!;
    const configured = await maasConfigure(server.address, {
      roleId: issued.roleId,
      wrappedToken: issued.wrappedToken,
      secretsPath: 'maas',
      mount: 'kv-dc1-b',
    });
    region = { roleId: issued.roleId, secretId: configured.secretId, token: configured.token };
    const list = async (path: string) => (await vaultHttp(server.address, 'LIST', path, { token: server.rootToken })).body.data.keys as string[];
    ownerRoles = await list('auth/approle/role');
    ownerPolicies = (await list('sys/policies/acl')).filter((policy) => policy !== 'root' && policy !== 'default');
    expect([ownerRoles.length, ownerPolicies.length]).toEqual([1, 1]);
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('apply, a generation bump, plan, status, revoke and destroy of dc1 leave dc1-b as it was', async () => {
    const before = await ownerState();
    const unchanged = async (step: string) => {
      expect([step, await ownerState()]).toEqual([step, before]);
      expect([step, await regionWorks()]).toEqual([step, { token: 200, login: 200 }]);
    };

    await neighbour.apply();
    await unchanged('apply');
    neighbour.update((input) => ({ ...input, generation: 2 }));
    await neighbour.apply();
    await unchanged('generation bump');
    expect((await neighbour.plan()).changes).toBe(false);
    await unchanged('plan');

    const status = await neighbour.cli(['status']);
    expect([status.exitCode, status.exitCode === 0 ? '' : status.all]).toEqual([0, '']);
    // dc1's status has no opinion on dc1-b's roles (main called them unknown and said to remove them).
    expect(status.stdout).not.toContain('dc1-b');
    expect(status.stdout).not.toContain('exists but is not in the config');
    await unchanged('status');

    const revoked = await neighbour.cli(['revoke', '--auto-approve', '--controller', 'b-region-1']);
    expect(revoked.exitCode).toBe(0);
    await unchanged('revoke');

    await neighbour.destroy();
    await unchanged('destroy');
    const ownStatus = await owner.cli(['status']);
    expect([ownStatus.exitCode, ownStatus.exitCode === 0 ? '' : ownStatus.all]).toEqual([0, '']);
  });
});
