/**
 * Least privilege, proven on a real server: the admin policy is enough to apply and destroy the
 * stack (the CI issuer's least privilege is proven in issuer.openbao.test.ts).
 */
import { readToolchain } from '../../toolchain/index.js';
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { vaultHttp } from '../support/http.js';
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
});
