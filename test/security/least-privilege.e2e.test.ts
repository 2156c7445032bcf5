/**
 * Least privilege, proven on a real server: the admin policy is enough to apply and destroy the
 * stack; the CI issuer can hand out wrapped credentials and do nothing else.
 */
import { readToolchain } from '../../toolchain/index.js';
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { maasConfigure, vaultHttp } from '../support/http.js';
import { TestSite } from '../support/site.js';
import { describeE2E } from '../support/tiers.js';

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
    it('applies the stack from an empty Vault, verifies, and destroys it', async () => {
      const site = new TestSite(server, {
        site: 'sec',
        kv: { mount: 'kv-sec' },
        issuer: { enabled: true },
        controllers: [{ name: 'region-1' }, { name: 'region-2' }],
      });
      const rendered = await site.cli(['policy', 'admin'], null);
      expect(rendered.exitCode).toBe(0);
      const admin = await tokenFor('maas-admin', rendered.stdout);
      const applied = await site.cli(['apply', '--auto-approve'], admin);
      expect([applied.exitCode, applied.exitCode === 0 ? '' : applied.all]).toEqual([0, '']);
      expect((await site.cli(['status'], admin)).exitCode).toBe(0);
      expect((await site.cli(['verify'], admin)).exitCode).toBe(0);
      const planned = await site.cli(['plan', '--json'], admin);
      expect(JSON.parse(planned.stdout).changes).toBe(false);
      // ...and it is not root: other sites' roles and other mounts are out of reach.
      expect((await vaultHttp(server.address, 'GET', 'secret/data/x', { token: admin })).status).toBe(403);
      expect((await vaultHttp(server.address, 'POST', 'auth/approle/role/maas-other-region-1', { token: admin, body: {} })).status).toBe(403);
      expect((await vaultHttp(server.address, 'POST', 'sys/policies/acl/anything', { token: admin, body: { policy: '' } })).status).toBe(403);
      const destroyed = await site.cli(['destroy', '--auto-approve'], admin);
      expect(destroyed.exitCode).toBe(0);
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
      const roleId = (await vaultHttp(server.address, 'GET', 'auth/approle/role/maas-ci-issuer/role-id', { token: server.rootToken })).body.data.role_id;
      const secretId = (await vaultHttp(server.address, 'POST', 'auth/approle/role/maas-ci-issuer/secret-id', { token: server.rootToken, body: {} })).body.data.secret_id;
      const login = await vaultHttp(server.address, 'POST', 'auth/approle/login', { body: { role_id: roleId, secret_id: secretId } });
      expect(login.body.auth.policies.sort()).toEqual(['default', 'maas-ci-issuer']);
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

    it.each([
      ['an unwrapped secret ID', 'POST', 'auth/approle/role/maas-ci-region-1/secret-id', {}, undefined],
      ['a wrapping TTL over 24h', 'POST', 'auth/approle/role/maas-ci-region-1/secret-id', {}, '48h'],
      ['a secret ID for its own role', 'POST', 'auth/approle/role/maas-ci-issuer/secret-id', {}, '5m'],
      ['a secret ID for a role of another site', 'POST', 'auth/approle/role/maas-other-region-1/secret-id', {}, '5m'],
      ['a KV read', 'GET', 'kv-ci/data/maas/anything', undefined, undefined],
      ['a KV write', 'POST', 'kv-ci/data/maas/anything', { data: { x: 1 } }, undefined],
      ['a role change', 'POST', 'auth/approle/role/maas-ci-region-1', { token_policies: ['root'] }, undefined],
      ['a new role', 'POST', 'auth/approle/role/maas-ci-region-9', {}, undefined],
      ['a role deletion', 'DELETE', 'auth/approle/role/maas-ci-region-1', undefined, undefined],
      ['a policy write', 'POST', 'sys/policies/acl/maas-ci', { policy: 'path "*" { capabilities = ["sudo"] }' }, undefined],
      ['a token with other policies', 'POST', 'auth/token/create', { policies: ['maas-ci'] }, undefined],
    ])('is denied %s', async (_, method, path, body, wrapTtl) => {
      const answer = await vaultHttp(server.address, method, path, { token: ci, body, wrapTtl });
      expect(answer.status).toBe(403);
    });
  });
});
