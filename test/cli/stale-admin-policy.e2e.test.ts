/**
 * A token holding the admin policy rendered for the config as it was, then the config changes
 * (issuer enabled, a controller marked revoked, a controller added with the issuer on): plan and
 * apply refuse with exit 2 before the engine runs, Vault as it was, naming the change and the
 * command that re-renders and writes the policy under the token's policy name. Once the policy is
 * re-rendered, the same apply passes.
 */
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { vaultHttp } from '../support/http.js';
import { TestSite } from '../support/site.js';
import { describeE2E } from '../support/tiers.js';
import { serverBinary, serverCliName } from '../support/matrix.js';

const POLICY = 'ops-admin-stale';

describeE2E('a stale admin policy (e2e: engine + provider)', () => {
  let server: OpenBaoServer;
  let site: TestSite;
  let admin: string;

  beforeAll(async () => {
    server = await startDevServer({ bao: serverBinary() });
    site = new TestSite(server, { site: 'stale', kv: { mount: 'kv-stale' }, controllers: [{ name: 'region-1' }, { name: 'region-2' }] });
    await writeAdminPolicy();
    admin = (await vaultHttp(server.address, 'POST', 'auth/token/create', { token: server.rootToken, body: { policies: [POLICY], ttl: '1h' } })).body.auth
      .client_token;
    const first = await site.cli(['apply', '--auto-approve'], admin);
    if (first.exitCode !== 0) throw new Error(`first apply failed (${first.exitCode}):\n${first.all}`);
  });

  afterAll(async () => {
    await server?.stop();
  });

  /** As the README has an admin do it: render with maas-vault, write with root. */
  async function writeAdminPolicy(): Promise<void> {
    const rendered = await site.cli(['policy', 'admin'], null);
    expect(rendered.exitCode).toBe(0);
    expect((await vaultHttp(server.address, 'PUT', `sys/policies/acl/${POLICY}`, { token: server.rootToken, body: { policy: rendered.stdout } })).status).toBe(
      204,
    );
  }

  /** What the site holds in Vault: policies with their texts, roles with their settings, mounts, auth methods. */
  async function vaultHolds(): Promise<unknown> {
    const get = async (method: string, path: string) => (await vaultHttp(server.address, method, path, { token: server.rootToken })).body;
    const policies = ((await get('LIST', 'sys/policies/acl')).data.keys as string[]).sort();
    const roles = (((await get('LIST', 'auth/approle/role')).data?.keys ?? []) as string[]).sort();
    return {
      policies: await Promise.all(policies.map(async (name) => [name, (await get('GET', `sys/policies/acl/${name}`)).data.policy])),
      roles: await Promise.all(
        roles.map(async (name) => [
          name,
          (await get('GET', `auth/approle/role/${name}`)).data,
          ((await get('LIST', `auth/approle/role/${name}/secret-id`)).data?.keys ?? []).length,
        ]),
      ),
      mounts: Object.keys((await get('GET', 'sys/mounts')).data).sort(),
      auth: Object.keys((await get('GET', 'sys/auth')).data).sort(),
    };
  }

  const rewrite = (policy = POLICY) =>
    `maas-vault policy admin --config ${site.configPath} > ${policy}.hcl && ${serverCliName()} policy write ${policy} ${policy}.hcl`;

  async function expectRefused(change: string): Promise<void> {
    await expectRefusedSaying(`rendered before ${change} in ${site.configPath}`);
  }

  async function expectRefusedSaying(texts: string | string[], token = admin, policy = POLICY): Promise<void> {
    const before = await vaultHolds();
    for (const args of [['plan'], ['apply', '--auto-approve']]) {
      const result = await site.cli(args, token);
      expect([args[0], result.exitCode]).toEqual([args[0], 2]);
      expect(result.stderr).toContain(`${args[0]} refused before changing anything in Vault (nothing was changed)`);
      for (const text of [texts].flat()) expect(result.stderr).toContain(text);
      expect(result.stderr).toContain(rewrite(policy));
      // Refused before the engine ran: no engine line at all.
      expect(result.all).not.toMatch(/terraform|tofu (init|plan|apply)|Terraform|OpenTofu/);
      expect(result.all).not.toContain(token);
    }
    const json = await site.cli(['apply', '--auto-approve', '--json'], token);
    expect(json.exitCode).toBe(2);
    for (const text of [texts].flat()) expect(JSON.parse(json.stdout).error.message).toContain(text);
    expect(await vaultHolds()).toEqual(before);
  }

  /** A token holding only `policy`, the admin policy rendered for the config as it is now, edited by `edit`. */
  async function editedAdminToken(policy: string, edit: (rendered: string) => string): Promise<string> {
    const rendered = await site.cli(['policy', 'admin'], null);
    expect(rendered.exitCode).toBe(0);
    const edited = edit(rendered.stdout);
    expect(edited).not.toBe(rendered.stdout);
    const root = { token: server.rootToken };
    expect((await vaultHttp(server.address, 'PUT', `sys/policies/acl/${policy}`, { ...root, body: { policy: edited } })).status).toBe(204);
    return (await vaultHttp(server.address, 'POST', 'auth/token/create', { ...root, body: { policies: [policy], ttl: '1h' } })).body.auth.client_token;
  }

  async function expectAppliesAfterRerender(): Promise<void> {
    await writeAdminPolicy();
    const result = await site.cli(['apply', '--auto-approve'], admin);
    expect([result.exitCode, result.exitCode === 0 ? '' : result.all]).toEqual([0, '']);
    expect((await site.cli(['plan', '--detailed-exitcode'], admin)).exitCode).toBe(0);
  }

  it('issuer enabled: refused, Vault unchanged; after the re-render the same apply passes', async () => {
    site.update((input) => ({ ...input, issuer: { enabled: true } }));
    await expectRefused('issuer.enabled was set');
    await expectAppliesAfterRerender();
    expect((await vaultHttp(server.address, 'GET', 'auth/approle/role/maas-issuer_stale', { token: server.rootToken })).status).toBe(200);
  });

  it('a controller marked revoked with the issuer on: refused, then applied after the re-render', async () => {
    site.update((input) => ({ ...input, controllers: [{ name: 'region-1' }, { name: 'region-2', revoked: true }] }));
    await expectRefused('controllers[1] (region-2) was marked "revoked": true');
    await expectAppliesAfterRerender();
  });

  it('a controller added with the issuer on: refused, then applied after the re-render', async () => {
    site.update((input) => ({ ...input, controllers: [...input.controllers, { name: 'region-3' }] }));
    await expectRefused('controllers[2] (region-3) was added (or its "revoked" mark removed) with issuer.enabled');
    await expectAppliesAfterRerender();
    expect((await vaultHttp(server.address, 'GET', 'auth/approle/role/maas_stale_region-3', { token: server.rootToken })).status).toBe(200);
  });

  it('a policy holding only the markers of the rendered one: refused, Vault unchanged, said as not that policy (not "rendered for another config")', async () => {
    const token = await editedAdminToken('ops-markers-only', (rendered) =>
      [...rendered.matchAll(/^path "sys\/rendered-admin-policy\/[^"]+" \{\n[^}]*\}/gm)].map(([block]) => `${block}\n`).join(''),
    );
    await expectRefusedSaying(
      [
        `the token's policy (ops-markers-only) holds only the markers of the admin policy \`maas-vault policy admin\` renders for ${site.configPath}, ` +
          'none of its grants (it does not grant ',
        'not that policy as rendered (edited, or written by hand)',
      ],
      token,
      'ops-markers-only',
    );
  });

  it('a policy lacking the block on kv-stale/metadata/maas/* (kv.adopt never set): refused, Vault unchanged, the grant named, not kv.adopt', async () => {
    const token = await editedAdminToken('ops-no-metadata', (rendered) => rendered.replace(/^path "kv-stale\/metadata\/maas\/\*" \{\n[^}]*\}\n/m, ''));
    await expectRefusedSaying(
      `the token's policy (ops-no-metadata) holds the markers of the admin policy \`maas-vault policy admin\` renders for ${site.configPath}, ` +
        'but not its grant of delete on kv-stale/metadata/maas/controller/ (its block path "kv-stale/metadata/maas/*"), and no single change of the config explains that',
      token,
      'ops-no-metadata',
    );
    const result = await site.cli(['plan'], token);
    expect(result.stderr).not.toContain('kv.adopt');
  });

  it("the engine refused where the check before it does not ask (a deny on a role's ID): the hint writes the policy with this server's CLI", async () => {
    // The admin policy as rendered for this config, and a deny on a path only the engine's refresh reads.
    await writeAdminPolicy();
    const roleId = 'auth/approle/role/maas_stale_region-1/role-id';
    const root = { token: server.rootToken };
    const deny = `path "${roleId}" {\n  capabilities = ["deny"]\n}\n`;
    expect((await vaultHttp(server.address, 'PUT', 'sys/policies/acl/ops-deny-role-id', { ...root, body: { policy: deny } })).status).toBe(204);
    const token = (await vaultHttp(server.address, 'POST', 'auth/token/create', { ...root, body: { policies: [POLICY, 'ops-deny-role-id'], ttl: '1h' } })).body
      .auth.client_token;
    const other = serverCliName() === 'bao' ? 'vault' : 'bao';
    const before = await vaultHolds();
    for (const args of [['plan'], ['apply', '--auto-approve']]) {
      const result = await site.cli(args, token);
      expect([args[0], result.exitCode]).toEqual([args[0], 1]);
      expect(result.stderr).toContain(`${args[0]} failed: permission denied on ${roleId} (GET)`);
      expect(result.stderr).toContain(
        `(\`maas-vault policy admin > maas-admin-stale.hcl && ${serverCliName()} policy write maas-admin-stale maas-admin-stale.hcl\`)`,
      );
      expect(result.all).not.toContain(`${other} policy write`);
      expect(result.all).not.toContain(token);
    }
    expect(await vaultHolds()).toEqual(before);
  });
});
