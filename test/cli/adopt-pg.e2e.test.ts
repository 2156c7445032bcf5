/**
 * Adopting a hand-made set-up on a site whose state lives in PostgreSQL: the state is only behind
 * the engine there, so the adoption reads it after init, adds the import blocks, and the second
 * run finds everything in the state and imports nothing again. Every role ID is kept.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { OpenBaoServer } from '../../toolchain/openbao-server.js';
import { roleName, validateConfig, type MaasVaultConfig } from '../../config/index.js';
import { docsPolicy } from '../support/docs-policy.js';
import { vaultHttp } from '../support/http.js';
import { startServerAndPostgres, type TestPostgres } from '../support/postgres.js';
import { TestSite } from '../support/site.js';
import { describeE2E } from '../support/tiers.js';

const MOUNT = 'kv-handmade-pg';

describeE2E('adopting a hand-made set-up with the state in PostgreSQL (e2e: engine + provider + PostgreSQL 15)', () => {
  let server: OpenBaoServer;
  let postgres: TestPostgres;
  let site: TestSite;
  let config: MaasVaultConfig;
  const roleIds = new Map<string, string>();
  const root = () => ({ token: server.rootToken });
  const currentRoleId = async (controller: string) =>
    (await vaultHttp(server.address, 'GET', `auth/approle/role/${roleName(config, controller)}/role-id`, root())).body.data.role_id;

  beforeAll(async () => {
    ({ server, postgres } = await startServerAndPostgres());
    const input = {
      site: 'handpg',
      approle: { adopt: true },
      kv: { mount: MOUNT, adopt: true },
      policy: { name: 'maas-secrets-pg', adopt: true },
      controllers: [
        { name: 'region-1', role: 'maas-pg-region-1' },
        { name: 'region-2', role: 'maas-pg-region-2' },
      ],
      state: { backend: 'pg' },
    };
    site = new TestSite(server, input);
    config = validateConfig({ ...input, vault: { address: server.address } }, { env: {}, source: 'test' });
    // The docs' steps as plain HTTP.
    await vaultHttp(server.address, 'POST', 'sys/auth/approle', { ...root(), body: { type: 'approle' } });
    await vaultHttp(server.address, 'POST', `sys/mounts/${MOUNT}`, { ...root(), body: { type: 'kv', options: { version: '2' } } });
    await vaultHttp(server.address, 'PUT', `sys/policies/acl/${config.policy.name}`, { ...root(), body: { policy: docsPolicy(MOUNT, config.secretsPath) } });
    for (const { name } of config.controllers) {
      const role = roleName(config, name);
      await vaultHttp(server.address, 'POST', `auth/approle/role/${role}`, { ...root(), body: { token_policies: [config.policy.name], token_ttl: '5m' } });
      roleIds.set(name, await currentRoleId(name));
    }
  });

  afterAll(async () => {
    await Promise.all([server?.stop(), postgres?.stop()]);
  });

  it('plan reads the pulled state and imports every adopted object; nothing is destroyed or replaced', async () => {
    const plan = await site.cli(['plan', '--json'], server.rootToken, { PG_CONN_STR: postgres.connStr });
    expect([plan.exitCode, plan.exitCode === 0 ? '' : plan.all]).toEqual([0, '']);
    const { adoption } = JSON.parse(plan.stdout);
    expect(adoption.plan).toMatchObject({ import: 3, destroy: 0, replace: 0 });
    expect(adoption.importing).toEqual(
      expect.arrayContaining([expect.stringContaining(`role ${roleName(config, 'region-1')} `), `policy ${config.policy.name}`]),
    );
  });

  it('apply imports into PostgreSQL, keeps every role ID, and the next plan imports nothing again', async () => {
    const applied = await site.cli(['apply', '--auto-approve'], server.rootToken, { PG_CONN_STR: postgres.connStr });
    expect([applied.exitCode, applied.exitCode === 0 ? '' : applied.all]).toEqual([0, '']);
    for (const { name } of config.controllers) expect(await currentRoleId(name)).toBe(roleIds.get(name));
    expect(existsSync(join(site.dir, '.maas-vault', 'handpg', 'terraform.tfstate'))).toBe(false);
    const rows = await postgres.query<{ data: string }>("SELECT data FROM maas_vault_handpg.states WHERE name = 'default'");
    const ids = JSON.parse(rows[0].data).resources.flatMap((resource: { type: string; instances: Array<{ attributes: { id: string } }> }) =>
      resource.instances.map((instance) => `${resource.type} ${instance.attributes.id}`),
    );
    expect(ids).toEqual(
      expect.arrayContaining([`vault_policy ${config.policy.name}`, `vault_approle_auth_backend_role auth/approle/role/${roleName(config, 'region-2')}`]),
    );

    const again = await site.cli(['plan', '--json'], server.rootToken, { PG_CONN_STR: postgres.connStr });
    expect(again.exitCode).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({
      changes: false,
      adoption: { importing: [], plan: { import: 0, add: 0, change: 0, destroy: 0, replace: 0 } },
    });
  });
});
