/**
 * Least privilege, proven on a real server: the admin policy is enough to apply and destroy the
 * stack (the CI issuer's least privilege is proven in issuer.openbao.test.ts).
 */
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { maasConfigure, vaultHttp } from '../support/http.js';
import { TestSite } from '../support/site.js';
import { describeE2E } from '../support/tiers.js';
import { issuerPolicyName, issuerRoleName, roleName } from '../../config/index.js';
import { serverBinary } from '../support/matrix.js';

describeE2E('least-privilege (e2e: engine + provider)', () => {
  let server: OpenBaoServer;

  beforeAll(async () => {
    server = await startDevServer({ bao: serverBinary() });
  });

  afterAll(async () => {
    await server?.stop();
  });

  async function tokenFor(policyName: string, policy: string): Promise<string> {
    expect((await vaultHttp(server.address, 'POST', `sys/policies/acl/${policyName}`, { token: server.rootToken, body: { policy } })).status).toBe(204);
    const created = await vaultHttp(server.address, 'POST', 'auth/token/create', { token: server.rootToken, body: { policies: [policyName], ttl: '30m' } });
    return created.body.auth.client_token;
  }

  describe('with only the admin policy (`maas-vault policy admin`)', () => {
    it('applies, plans, checks, issues credentials (the issuer’s too), verifies and destroys', async () => {
      const site = new TestSite(server, {
        site: 'sec',
        kv: { mount: 'kv-sec' },
        issuer: { enabled: true },
        controllers: [{ name: 'region-1' }, { name: 'region-2' }],
      });
      const rendered = await site.cli(['policy', 'admin'], null);
      expect(rendered.exitCode).toBe(0);
      const admin = await tokenFor('maas-admin', rendered.stdout);
      const ok = async (args: string[]) => {
        const result = await site.cli(args, admin);
        expect([args.join(' '), result.exitCode, result.exitCode === 0 ? '' : result.all]).toEqual([args.join(' '), 0, '']);
        return result;
      };
      const applied = await ok(['apply', '--auto-approve']);
      // The issuer hand-off: its role ID, and the command for its wrapped secret ID.
      expect(applied.stdout).toMatch(new RegExp(`^CI issuer: role ${issuerRoleName({ site: 'sec' })}, role ID [0-9a-f-]{36}\\.$`, 'm'));
      expect(applied.stdout).toContain('`maas-vault credentials --issuer`');
      const output = await site.cli(['output'], null);
      expect(output.stdout).toMatch(new RegExp(`^CI issuer: role ${issuerRoleName({ site: 'sec' })}, role ID [0-9a-f-]{36}\\.$`, 'm'));
      expect(JSON.parse((await ok(['plan', '--json'])).stdout).changes).toBe(false);
      await ok(['status']);
      const credentials = JSON.parse((await ok(['credentials', '--json', '--controller', 'region-1'])).stdout);
      await maasConfigure(server.address, {
        roleId: credentials.controllers[0].roleId,
        wrappedToken: credentials.controllers[0].wrappedToken,
        secretsPath: 'maas',
        mount: 'kv-sec',
      });
      await ok(['verify']);
      const issuer = JSON.parse((await ok(['credentials', '--issuer', '--json'])).stdout).issuer;
      const unwrapped = await vaultHttp(server.address, 'POST', 'sys/wrapping/unwrap', { token: issuer.wrappedToken });
      const login = await vaultHttp(server.address, 'POST', 'auth/approle/login', {
        body: { role_id: issuer.roleId, secret_id: unwrapped.body.data.secret_id },
      });
      expect(login.body.auth.policies.sort()).toEqual(['default', issuerPolicyName({ site: 'sec' })]);
      // ...and it is not root: other sites' roles and other mounts are out of reach.
      expect((await vaultHttp(server.address, 'GET', 'secret/data/x', { token: admin })).status).toBe(403);
      expect((await vaultHttp(server.address, 'POST', `auth/approle/role/${roleName({ site: 'other' }, 'region-1')}`, { token: admin, body: {} })).status).toBe(
        403,
      );
      expect((await vaultHttp(server.address, 'POST', 'sys/policies/acl/anything', { token: admin, body: { policy: '' } })).status).toBe(403);
      await ok(['destroy', '--auto-approve']);
    });
  });
});
