/**
 * Coming from the manual set-up: a Vault set up with the MAAS docs' exact `bao` CLI steps (role
 * names of the admin's choosing, the docs' policy text, one role with a wrong setting) and regions
 * configured through MAAS's own calls comes under the stack without a region being touched.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { roleName, validateConfig, type MaasVaultConfig } from '../../config/index.js';
import { docsPolicy } from '../support/docs-policy.js';
import { maasConfigure, vaultHttp } from '../support/http.js';
import { TestSite } from '../support/site.js';
import { describeE2E } from '../support/tiers.js';
import { serverBinary, serverCliEnv } from '../support/matrix.js';

const MOUNT = 'kv-maas';
const SECRETS_PATH = 'maas';
/** Names an admin picked by hand, as on the docs' page. */
const POLICY = 'maas-secrets';
const CONTROLLERS = [
  { name: 'region-1', role: 'maas-region-1' },
  { name: 'region-2', role: 'maas-region-2' },
  { name: 'region-3', role: 'maas-region-3' },
];

describeE2E('adopting a hand-made set-up (e2e: engine + provider)', () => {
  let server: OpenBaoServer;
  let site: TestSite;
  let config: MaasVaultConfig;
  const roleIds = new Map<string, string>();
  /** The secret_id each region's MAAS stored at configure. */
  const stored = new Map<string, string>();

  const bao = async (...args: string[]): Promise<string> => {
    const result = await execa(serverBinary(), args, {
      extendEnv: false,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...serverCliEnv(server.address, server.rootToken) },
    });
    return result.stdout.trim();
  };
  const login = async (controller: string, secretId: string) =>
    (await vaultHttp(server.address, 'POST', 'auth/approle/login', { body: { role_id: roleIds.get(controller), secret_id: secretId } })).status;
  const readRole = async (controller: string) =>
    (await vaultHttp(server.address, 'GET', `auth/approle/role/${roleName(config, controller)}`, { token: server.rootToken })).body.data;
  const currentRoleId = async (controller: string) =>
    (await vaultHttp(server.address, 'GET', `auth/approle/role/${roleName(config, controller)}/role-id`, { token: server.rootToken })).body.data.role_id;
  const accessorCount = async (controller: string) => {
    const listed = await vaultHttp(server.address, 'LIST', `auth/approle/role/${roleName(config, controller)}/secret-id`, { token: server.rootToken });
    return listed.status === 404 ? 0 : listed.body.data.keys.length;
  };

  beforeAll(async () => {
    server = await startDevServer({ bao: serverBinary() });
    const input = {
      site: 'handmade',
      approle: { adopt: true },
      kv: { mount: MOUNT, adopt: true },
      secretsPath: SECRETS_PATH,
      policy: { name: POLICY, adopt: true },
      controllers: CONTROLLERS,
    };
    site = new TestSite(server, input);
    config = validateConfig({ ...input, vault: { address: server.address } });

    // The docs' page, step by step, with the bao CLI.
    await bao('auth', 'enable', 'approle');
    await bao('secrets', 'enable', `-path=${MOUNT}`, 'kv-v2');
    const policyFile = join(mkdtempSync(join(tmpdir(), 'maas-docs-')), 'maas-policy.hcl');
    writeFileSync(policyFile, docsPolicy(MOUNT, SECRETS_PATH));
    await bao('policy', 'write', POLICY, policyFile);
    for (const { name } of CONTROLLERS) {
      const role = roleName(config, name);
      // region-2's admin copied a bad example: each secret ID works for one login only.
      await bao('write', `auth/approle/role/${role}`, `policies=${POLICY}`, 'token_ttl=5m', ...(name === 'region-2' ? ['secret_id_num_uses=1'] : []));
      roleIds.set(name, await bao('read', '-field=role_id', `auth/approle/role/${role}/role-id`));
      const wrapped = await bao('write', '-wrap-ttl=5m', '-field=wrapping_token', '-f', `auth/approle/role/${role}/secret-id`);
      const configured = await maasConfigure(server.address, { roleId: roleIds.get(name)!, wrappedToken: wrapped, secretsPath: SECRETS_PATH, mount: MOUNT });
      stored.set(name, configured.secretId);
    }
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('the wrong setting is a real defect: region-2 cannot log in again with its stored secret_id', async () => {
    expect(await login('region-2', stored.get('region-2')!)).toBe(400);
    expect(await login('region-1', stored.get('region-1')!)).toBe(200);
  });

  /** A token holding exactly `maas-vault policy admin` for this config, as the README has admins make one. */
  let adminToken: string;

  it('the admin policy covers the adopted roles: a token holding only it plans and applies the adoption', async () => {
    const rendered = await site.cli(['policy', 'admin'], null);
    expect(rendered.exitCode).toBe(0);
    expect(
      (await vaultHttp(server.address, 'PUT', 'sys/policies/acl/maas-admin-handmade', { token: server.rootToken, body: { policy: rendered.stdout } })).status,
    ).toBe(204);
    const created = await vaultHttp(server.address, 'POST', 'auth/token/create', {
      token: server.rootToken,
      body: { policies: ['maas-admin-handmade'], no_default_policy: false, ttl: '1h' },
    });
    adminToken = created.body.auth.client_token;
  });

  // The one addition is the adopted KV mount's shared settings (cas_required only: the stack writes an
  // adopted mount's settings through an endpoint that never deletes them); nothing else is created.
  it('plan explains each difference in words and shows only imports, in-place updates and the shared KV settings: 1 to add, 0 to destroy, 0 to replace', async () => {
    const text = await site.cli(['plan'], adminToken);
    expect([text.exitCode, text.exitCode === 0 ? '' : text.all]).toEqual([0, '']);
    expect(text.stdout).toContain(`import role ${roleName(config, 'region-1')} (controller region-1): role ID and secret IDs kept`);
    expect(text.stdout).toContain(`import policy ${POLICY}`);
    expect(text.stdout).not.toContain(`import settings of KV-v2 mount`);
    expect(text.stdout).toContain(
      `- role ${roleName(config, 'region-2')} has secret_id_num_uses=1: MAAS logs in again with the same secret_id whenever its token nears expiry, ` +
        'so it would lock itself out after 1 login (its next token expiry); apply sets 0',
    );
    expect(text.stdout).toContain(
      `- policy ${POLICY} grants exactly what the config asks; apply rewrites its text in maas-vault's layout (comments and spacing only)`,
    );
    expect(text.stderr).toMatch(/Plan: 4 to import, 1 to add, \d+ to change, 0 to destroy\./);

    const json = await site.cli(['plan', '--json'], adminToken);
    expect(json.exitCode).toBe(0);
    const { changes, adoption } = JSON.parse(json.stdout);
    expect(changes).toBe(true);
    expect(adoption.plan).toEqual({ import: 4, add: 1, change: expect.any(Number), destroy: 0, replace: 0 });
    expect(adoption.plan.change).toBeGreaterThanOrEqual(2); // region-2's role and the policy text at least
    expect(adoption.creating).toEqual([]);
    // The plan issued and destroyed nothing.
    for (const { name } of CONTROLLERS) expect(await currentRoleId(name)).toBe(roleIds.get(name));
  });

  it('apply imports without changing a role ID or issuing a secret ID; regions keep logging in; the wrong setting is corrected', async () => {
    const countsBefore = await Promise.all(CONTROLLERS.map(({ name }) => accessorCount(name)));
    const applied = await site.cli(['apply', '--auto-approve'], adminToken);
    expect([applied.exitCode, applied.exitCode === 0 ? '' : applied.all]).toEqual([0, '']);
    expect(applied.stdout).toContain('Region controllers on adopted roles keep the secret IDs they run on: nothing to run on them.');
    expect(applied.stdout).not.toMatch(/config-vault configure/);
    for (const { name } of CONTROLLERS) expect(await currentRoleId(name)).toBe(roleIds.get(name));
    expect(await Promise.all(CONTROLLERS.map(({ name }) => accessorCount(name)))).toEqual(countsBefore);
    for (const name of ['region-1', 'region-3']) expect(await login(name, stored.get(name)!)).toBe(200);
    expect((await readRole('region-2')).secret_id_num_uses).toBe(0);
  });

  it('a second plan is empty, status is clean, and the regions still log in', async () => {
    const second = await site.cli(['plan', '--json']);
    expect(second.exitCode).toBe(0);
    const parsed = JSON.parse(second.stdout);
    expect(parsed.changes).toBe(false);
    expect(parsed.adoption.plan).toEqual({ import: 0, add: 0, change: 0, destroy: 0, replace: 0 });
    const status = await site.cli(['status']);
    expect([status.exitCode, status.exitCode === 0 ? '' : status.stdout]).toEqual([0, '']);
    for (const name of ['region-1', 'region-3']) expect(await login(name, stored.get(name)!)).toBe(200);
  });

  it('credentials, verify and revoke work on the adopted roles', async () => {
    const issued = await site.cli(['credentials', '--controller', 'region-2', '--json']);
    expect(issued.exitCode).toBe(0);
    const [fresh] = JSON.parse(issued.stdout).controllers;
    expect(fresh.roleId).toBe(roleIds.get('region-2'));
    const configured = await maasConfigure(server.address, { roleId: fresh.roleId, wrappedToken: fresh.wrappedToken, secretsPath: SECRETS_PATH, mount: MOUNT });
    // With the setting corrected, MAAS logs in again and again with the same secret_id.
    expect([await login('region-2', configured.secretId), await login('region-2', configured.secretId)]).toEqual([200, 200]);

    const verified = await site.cli(['verify']);
    expect(verified.exitCode).toBe(0);
    expect(verified.stdout.split('\n').filter((line) => line.startsWith('OK '))).toHaveLength(CONTROLLERS.length);

    const revoked = await site.cli(['revoke', '--auto-approve', '--controller', 'region-3']);
    expect(revoked.exitCode).toBe(0);
    expect(await login('region-3', stored.get('region-3')!)).toBe(400);
    expect(await login('region-1', stored.get('region-1')!)).toBe(200);
  });

  it('another site cannot adopt a role whose secret IDs maas-vault issued for this one', async () => {
    // region-2 got a secret ID from `credentials` above, with this site's name in its metadata.
    const other = new TestSite(server, {
      site: 'other',
      approle: { adopt: true },
      kv: { mount: MOUNT, adopt: true },
      secretsPath: 'other',
      controllers: [{ name: 'region-9', role: roleName(config, 'region-2') }],
    });
    const result = await other.cli(['plan']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`controllers[0].role: role ${roleName(config, 'region-2')} holds secret IDs that maas-vault issued for site "handmade"`);
    expect(await currentRoleId('region-2')).toBe(roleIds.get('region-2'));
  });
});
