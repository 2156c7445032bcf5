/**
 * Least privilege, proven on a real server: the admin policy is enough to apply and destroy the
 * stack; the CI issuer can hand out wrapped credentials and do nothing else.
 */
import { readToolchain } from '../../toolchain/index.js';
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { maasConfigure, vaultHttp } from '../support/http.js';
import { TestSite } from '../support/site.js';
import { describeE2E } from '../support/tiers.js';
import { defaultPolicyName, issuerPolicyName, issuerRoleName, roleName } from '../../config/index.js';

describeE2E('least-privilege (e2e: engine + provider)', () => {
  let server: OpenBaoServer;

  beforeAll(async () => {
    server = await startDevServer({ bao: readToolchain().bao.path });
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
      await maasConfigure(server.address, { roleId: credentials.controllers[0].roleId, wrappedToken: credentials.controllers[0].wrappedToken, secretsPath: 'maas', mount: 'kv-sec' });
      await ok(['verify']);
      const issuer = JSON.parse((await ok(['credentials', '--issuer', '--json'])).stdout).issuer;
      const unwrapped = await vaultHttp(server.address, 'POST', 'sys/wrapping/unwrap', { token: issuer.wrappedToken });
      const login = await vaultHttp(server.address, 'POST', 'auth/approle/login', { body: { role_id: issuer.roleId, secret_id: unwrapped.body.data.secret_id } });
      expect(login.body.auth.policies.sort()).toEqual(['default', issuerPolicyName({ site: 'sec' })]);
      // ...and it is not root: other sites' roles and other mounts are out of reach.
      expect((await vaultHttp(server.address, 'GET', 'secret/data/x', { token: admin })).status).toBe(403);
      expect((await vaultHttp(server.address, 'POST', `auth/approle/role/${roleName({ site: 'other' }, 'region-1')}`, { token: admin, body: {} })).status).toBe(403);
      expect((await vaultHttp(server.address, 'POST', 'sys/policies/acl/anything', { token: admin, body: { policy: '' } })).status).toBe(403);
      await ok(['destroy', '--auto-approve']);
    });
  });

  describe('the CI issuer (issuer.enabled)', () => {
    let site: TestSite;
    let ci: string;

    beforeAll(async () => {
      site = new TestSite(server, {
        site: 'ci',
        kv: { mount: 'kv-ci' },
        issuer: { enabled: true },
        controllers: [{ name: 'region-1' }, { name: 'region-2' }, { name: 'region-3' }],
      });
      await site.apply();
      // The admin hands CI a secret ID for the issuer role; CI logs in with it.
      const issuerRole = `auth/approle/role/${issuerRoleName({ site: 'ci' })}`;
      const roleId = (await vaultHttp(server.address, 'GET', `${issuerRole}/role-id`, { token: server.rootToken })).body.data.role_id;
      const secretId = (await vaultHttp(server.address, 'POST', `${issuerRole}/secret-id`, { token: server.rootToken, body: {} })).body.data.secret_id;
      const login = await vaultHttp(server.address, 'POST', 'auth/approle/login', { body: { role_id: roleId, secret_id: secretId } });
      expect(login.body.auth.policies.sort()).toEqual(['default', issuerPolicyName({ site: 'ci' })]);
      ci = login.body.auth.client_token;
    });

    it('can run credentials (with --revoke-previous) and verify, and the credentials work for MAAS', async () => {
      const result = await site.cli(['credentials', '--json', '--revoke-previous'], ci);
      expect(result.exitCode).toBe(0);
      for (const record of JSON.parse(result.stdout).controllers) {
        await maasConfigure(server.address, { roleId: record.roleId, wrappedToken: record.wrappedToken, secretsPath: 'maas', mount: 'kv-ci' });
      }
      expect((await site.cli(['verify'], ci)).exitCode).toBe(0);
    });

    const ciRole = (controller: string) => `auth/approle/role/${roleName({ site: 'ci' }, controller)}`;
    it.each([
      ['an unwrapped secret ID', 'POST', `${ciRole('region-1')}/secret-id`, {}, undefined],
      ['a wrapping TTL over 24h', 'POST', `${ciRole('region-1')}/secret-id`, {}, '48h'],
      ['a secret ID for its own role', 'POST', `auth/approle/role/${issuerRoleName({ site: 'ci' })}/secret-id`, {}, '5m'],
      ['a secret ID for a role of another site', 'POST', `auth/approle/role/${roleName({ site: 'other' }, 'region-1')}/secret-id`, {}, '5m'],
      ['a KV read', 'GET', 'kv-ci/data/maas/anything', undefined, undefined],
      ['a KV write', 'POST', 'kv-ci/data/maas/anything', { data: { x: 1 } }, undefined],
      ['a role change', 'POST', ciRole('region-1'), { token_policies: ['root'] }, undefined],
      ['a new role', 'POST', ciRole('region-9'), {}, undefined],
      ['a role deletion', 'DELETE', ciRole('region-1'), undefined, undefined],
      ['a policy write', 'POST', `sys/policies/acl/${defaultPolicyName({ site: 'ci' })}`, { policy: 'path "*" { capabilities = ["sudo"] }' }, undefined],
      ['a token with other policies', 'POST', 'auth/token/create', { policies: [defaultPolicyName({ site: 'ci' })] }, undefined],
    ])('is denied %s', async (_, method, path, body, wrapTtl) => {
      const answer = await vaultHttp(server.address, method, path, { token: ci, body, wrapTtl });
      expect(answer.status).toBe(403);
    });
  });
});
