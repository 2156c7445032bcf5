/**
 * Migration from the old names (`maas-<site>-<controller>`, policy `maas-<site>`). The starting
 * point is a site applied by maas-vault 0.1.0: its synthesized stack, kept in
 * test/fixtures/legacy-names-stack.json, is applied by the engine into the work directory the
 * new version uses. The documented steps are then followed, and at every step each region that
 * has not been re-configured yet still logs in.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { legacyNames, roleName, validateConfig } from '../../config/index.js';
import { Engine } from '../../engine/engine.js';
import { locateEngine } from '../../engine/locate.js';
import { writeMirrorCliConfig } from '../../engine/provider-mirror.js';
import { workLayout } from '../../stacks/work-layout.js';
import { maasConfigure, vaultHttp } from '../support/http.js';
import { engineEnv } from '../support/cli.js';
import { TestSite } from '../support/site.js';
import { describeE2E } from '../support/tiers.js';
import { serverBinary } from '../support/matrix.js';

const FIXTURE = new URL('../fixtures/legacy-names-stack.json', import.meta.url);

describeE2E('migration from the old role names (e2e: engine + provider)', () => {
  let server: OpenBaoServer;
  let site: TestSite;
  const regions = new Map<string, { roleId: string; secretId: string; token: string }>();

  const config = () => validateConfig({ vault: { address: server.address }, ...site.config }, { env: {}, source: 'test', baseDir: site.dir });
  const read = (path: string) => vaultHttp(server.address, 'GET', path, { token: server.rootToken });

  async function logsIn(name: string): Promise<number> {
    const region = regions.get(name)!;
    return (await vaultHttp(server.address, 'POST', 'auth/approle/login', { body: { role_id: region.roleId, secret_id: region.secretId } })).status;
  }

  async function configure(name: string, roleId: string, wrappedToken: string): Promise<void> {
    const done = await maasConfigure(server.address, { roleId, wrappedToken, secretsPath: 'maas', mount: 'kv-mig' });
    regions.set(name, { roleId, secretId: done.secretId, token: done.token });
  }

  /** What maas-vault 0.1.0 left behind: its stack applied, its outputs in the state. */
  async function applyOldVersion(): Promise<void> {
    const { stackDir, jsonPath } = workLayout(config());
    mkdirSync(stackDir, { recursive: true });
    writeFileSync(jsonPath, readFileSync(FIXTURE, 'utf8').replaceAll('__VAULT_ADDRESS__', server.address));
    const env = engineEnv();
    const cliConfig = join(site.dir, 'terraformrc');
    if (env.MAAS_VAULT_PROVIDER_MIRROR) writeMirrorCliConfig(env.MAAS_VAULT_PROVIDER_MIRROR, cliConfig);
    const engine = new Engine({
      binary: await locateEngine(env.MAAS_VAULT_ENGINE),
      stackDir,
      env: { VAULT_TOKEN: server.rootToken, VAULT_ADDR: server.address, ...(env.MAAS_VAULT_PROVIDER_MIRROR ? { TF_CLI_CONFIG_FILE: cliConfig } : {}) },
    });
    await engine.init();
    await engine.applyUnguarded();
    const outputs = await engine.outputs();
    const roleIds = outputs.role_ids.value as Record<string, string>;
    const tokens = outputs.wrapping_tokens.value as Record<string, string>;
    for (const name of ['region-1', 'region-2']) await configure(name, roleIds[name], tokens[name]);
  }

  beforeAll(async () => {
    server = await startDevServer({ bao: serverBinary() });
    site = new TestSite(server, { site: 'mig', kv: { mount: 'kv-mig' }, issuer: { enabled: true }, controllers: [{ name: 'region-1' }, { name: 'region-2' }] });
    await applyOldVersion();
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('keeps every old role until its region uses the new one, then removes the old ones', async () => {
    const old = config();
    expect((await read(`auth/approle/role/${legacyNames.role(old, 'region-1')}`)).status).toBe(200);

    // Step 1: keepLegacyNames, with the admin policy rendered for it: the plan only adds.
    site.update((input) => ({ ...input, keepLegacyNames: true }));
    const policy = await site.cli(['policy', 'admin'], null);
    expect(
      (await vaultHttp(server.address, 'POST', 'sys/policies/acl/maas-admin-mig', { token: server.rootToken, body: { policy: policy.stdout } })).status,
    ).toBe(204);
    const admin = (
      await vaultHttp(server.address, 'POST', 'auth/token/create', { token: server.rootToken, body: { policies: ['maas-admin-mig'], ttl: '30m' } })
    ).body.auth.client_token;
    const plan = await site.cli(['plan'], admin);
    expect([plan.exitCode, plan.exitCode === 0 ? '' : plan.all]).toEqual([0, '']);
    expect(plan.stderr).toMatch(/Plan: \d+ to add, \d+ to change, 0 to destroy/);
    expect(plan.stderr).not.toContain('must be replaced');

    const applied = await site.cli(['apply', '--auto-approve', '--json'], admin);
    expect([applied.exitCode, applied.exitCode === 0 ? '' : applied.all]).toEqual([0, '']);
    expect([await logsIn('region-1'), await logsIn('region-2')]).toEqual([200, 200]);
    const fresh = new Map<string, { roleId: string; wrappedToken: string; role: string }>(
      JSON.parse(applied.stdout).controllers.map((controller: { name: string; roleId: string; wrappedToken: string; role: string }) => [
        controller.name,
        controller,
      ]),
    );
    expect(fresh.get('region-1')!.role).toBe(roleName(old, 'region-1'));

    // Step 2: re-configure one region at a time; the other still logs in with its old role.
    await configure('region-1', fresh.get('region-1')!.roleId, fresh.get('region-1')!.wrappedToken);
    expect([await logsIn('region-1'), await logsIn('region-2')]).toEqual([200, 200]);
    await configure('region-2', fresh.get('region-2')!.roleId, fresh.get('region-2')!.wrappedToken);

    // Step 3: once every region is re-configured, drop keepLegacyNames: the old roles and policy go.
    site.update((input) => ({ ...input, keepLegacyNames: false }));
    // Deleting roles takes the flag that names it; without it nothing goes.
    const unflagged = await site.cli(['apply', '--auto-approve'], admin);
    expect(unflagged.exitCode).toBe(2);
    expect(unflagged.stderr).toContain('only with --replace-roles');
    expect((await vaultHttp(server.address, 'GET', `auth/approle/role/${legacyNames.role(old, 'region-1')}`, { token: server.rootToken })).status).toBe(200);
    const finished = await site.cli(['apply', '--auto-approve', '--replace-roles'], admin);
    expect([finished.exitCode, finished.exitCode === 0 ? '' : finished.all]).toEqual([0, '']);
    for (const path of [
      `auth/approle/role/${legacyNames.role(old, 'region-1')}`,
      `auth/approle/role/${legacyNames.role(old, 'region-2')}`,
      `auth/approle/role/${legacyNames.issuerRole(old)}`,
      `sys/policies/acl/${legacyNames.policy(old)}`,
    ]) {
      expect([path, (await read(path)).status]).toEqual([path, 404]);
    }
    expect([await logsIn('region-1'), await logsIn('region-2')]).toEqual([200, 200]);
    const status = await site.cli(['status'], admin);
    expect([status.exitCode, status.exitCode === 0 ? '' : status.all]).toEqual([0, '']);
  });
});
