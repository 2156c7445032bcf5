/**
 * Pre-flight checks before any change, on a Vault that already holds things: every conflict is
 * reported together, exit 2, and nothing in Vault is changed, not even the policy the engine would
 * have written first. A KV version 1 mount is refused with its secrets intact.
 */
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { validateConfig, roleName, type MaasVaultConfig } from '../../config/index.js';
import { vaultHttp } from '../support/http.js';
import { TestSite } from '../support/site.js';
import { describeE2E } from '../support/tiers.js';
import { serverBinary, serverCliName } from '../support/matrix.js';

describeE2E('pre-flight checks (e2e: engine + provider)', () => {
  let server: OpenBaoServer;
  const FOREIGN_POLICY = 'path "billing/*" { capabilities = ["read"] }';

  beforeAll(async () => {
    server = await startDevServer({ bao: serverBinary() });
  });

  afterAll(async () => {
    await server?.stop();
  });

  const http = (method: string, path: string, body?: unknown) => vaultHttp(server.address, method, path, { token: server.rootToken, body });

  function configOf(site: TestSite): MaasVaultConfig {
    return validateConfig({ vault: { address: server.address }, ...site.config }, { env: {}, source: site.configPath, baseDir: site.dir });
  }

  it('on a Vault with secret/, approle/, the policy and a role already there: all four reported, exit 2, nothing changed', async () => {
    const site = new TestSite(server, { site: 'first', controllers: [{ name: 'region-1' }, { name: 'region-2' }] });
    const config = configOf(site);
    const taken = roleName(config, 'region-1');
    expect((await http('POST', 'sys/auth/approle', { type: 'approle' })).status).toBe(204);
    expect((await http('POST', `auth/approle/role/${taken}`, { token_policies: ['billing'] })).status).toBe(204);
    expect((await http('PUT', `sys/policies/acl/${config.policy.name}`, { policy: FOREIGN_POLICY })).status).toBe(204);

    for (const args of [['plan'], ['apply', '--auto-approve']]) {
      const result = await site.cli(args);
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toContain('pre-flight checks found 4 problems; nothing was changed in Vault');
      expect(result.stderr).toContain("kv.mount: secret/ already exists in Vault and is not this site's. To use it, set kv.adopt: true");
      expect(result.stderr).toContain("approle.mount: the auth method approle/ already exists in Vault and is not this site's");
      expect(result.stderr).toContain(`policy.name: the policy ${config.policy.name} already exists in Vault`);
      expect(result.stderr).toContain(`1 AppRole role the stack would create already exists and is not in this site's state (${taken})`);
    }
    expect((await http('GET', `sys/policies/acl/${config.policy.name}`)).body.data.policy).toBe(FOREIGN_POLICY);
    expect((await http('GET', `auth/approle/role/${taken}`)).body.data.token_policies).toEqual(['billing']);
    expect((await http('LIST', 'auth/approle/role')).body.data.keys).toEqual([taken]);
    expect((await http('GET', 'secret/config')).body.data.cas_required).toBe(false);
  });

  it('a KV version 1 mount to adopt is refused, and its secret left intact', async () => {
    expect((await http('POST', 'sys/mounts/legacy', { type: 'kv', options: { version: '1' } })).status).toBe(204);
    expect((await http('POST', 'legacy/config', { owner: 'billing', rotation: 'monthly' })).status).toBe(204);
    const site = new TestSite(server, { site: 'legacy', approle: { adopt: true }, kv: { mount: 'legacy', adopt: true }, controllers: [{ name: 'region-1' }] });
    const result = await site.cli(['apply', '--auto-approve']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('kv.adopt: legacy/ is KV version 1; MAAS needs KV version 2, and maas-vault leaves this mount and its secrets untouched');
    expect(result.all).not.toMatch(/panic|goroutine/);
    expect((await http('GET', 'legacy/config')).body.data).toEqual({ owner: 'billing', rotation: 'monthly' });
    expect((await http('GET', `auth/approle/role/${roleName(configOf(site), 'region-1')}`)).status).toBe(404);
  });

  it('adopting a mount that does not exist is refused before anything is written', async () => {
    const site = new TestSite(server, { site: 'ghost', approle: { adopt: true }, kv: { mount: 'nowhere', adopt: true }, controllers: [{ name: 'region-1' }] });
    const config = configOf(site);
    const result = await site.cli(['apply', '--auto-approve']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(
      `kv.adopt: there is no mount at nowhere/ to adopt: create it as KV version 2 (\`${serverCliName()} secrets enable -path=nowhere kv-v2\`)`,
    );
    expect(result.stderr).not.toContain(`${serverCliName() === 'bao' ? 'vault' : 'bao'} secrets`);
    expect((await http('GET', `sys/policies/acl/${config.policy.name}`)).status).toBe(404);
    expect((await http('GET', `auth/approle/role/${roleName(config, 'region-1')}`)).status).toBe(404);
  });

  it('with the fixes the checks name (adopt the shared mounts), apply passes, and so does every re-apply', async () => {
    const site = new TestSite(server, { site: 'second', approle: { adopt: true }, kv: { mount: 'secret', adopt: true }, controllers: [{ name: 'region-1' }] });
    await site.apply();
    await site.apply();
    expect((await site.plan()).changes).toBe(false);
  });
});
