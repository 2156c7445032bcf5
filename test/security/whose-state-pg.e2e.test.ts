/**
 * A state in PostgreSQL knows whose it is: the first apply records the site,
 * the Vault cluster ID and its address in `<schema>.maas_vault_site`. A config of another site on
 * the same `state.schema` (its own work directory: another machine) is refused before the engine
 * runs, naming both sites; the first site's roles keep their IDs and its region still logs in. The
 * same site from another work directory (a second admin's machine) is not refused.
 */
import type { OpenBaoServer } from '../../toolchain/openbao-server.js';
import { maasConfigure, vaultHttp } from '../support/http.js';
import { startServerAndPostgres, type TestPostgres } from '../support/postgres.js';
import { TestSite } from '../support/site.js';
import { describeE2E } from '../support/tiers.js';
import { runCli } from '../support/cli.js';

const SCHEMA = 'maas_vault_shared';
const SECRET = 'maas/controller/1/database-creds';

describeE2E('a state in PostgreSQL knows whose it is (e2e: engine + provider + PostgreSQL 15)', () => {
  let server: OpenBaoServer;
  let postgres: TestPostgres;
  let first: TestSite;
  let region: { role: string; roleId: string; secretId: string };
  const pgEnv = () => ({ PG_CONN_STR: postgres.connStr });

  async function regionReads(): Promise<string> {
    const login = await vaultHttp(server.address, 'POST', 'auth/approle/login', { body: { role_id: region.roleId, secret_id: region.secretId } });
    if (login.status !== 200) return `login ${login.status}`;
    const read = await vaultHttp(server.address, 'GET', `kv-first/data/${SECRET}`, { token: login.body.auth.client_token });
    return read.status === 200 ? String(read.body.data.data.password) : `read ${read.status}`;
  }
  const roleIdNow = async () =>
    (await vaultHttp(server.address, 'GET', `auth/approle/role/${region.role}/role-id`, { token: server.rootToken })).body.data?.role_id;
  const mounts = async () => Object.keys((await vaultHttp(server.address, 'GET', 'sys/mounts', { token: server.rootToken })).body.data);

  beforeAll(async () => {
    ({ server, postgres } = await startServerAndPostgres());
    first = new TestSite(server, { site: 'first', kv: { mount: 'kv-first' }, state: { backend: 'pg', schema: SCHEMA }, controllers: [{ name: 'region-1' }] });
    const applied = await first.cli(['apply', '--auto-approve'], server.rootToken, pgEnv());
    expect([applied.exitCode, applied.exitCode === 0 ? '' : applied.all]).toEqual([0, '']);
    const issued = (await first.cli(['output', '--json'], null, pgEnv())).stdout;
    const controller = (JSON.parse(issued).controllers as Array<{ role: string; roleId: string; wrappedToken: string }>)[0];
    const configured = await maasConfigure(server.address, {
      roleId: controller.roleId,
      wrappedToken: controller.wrappedToken,
      secretsPath: 'maas',
      mount: 'kv-first',
    });
    region = { role: controller.role, roleId: controller.roleId, secretId: configured.secretId };
    expect(
      (await vaultHttp(server.address, 'POST', `kv-first/data/${SECRET}`, { token: configured.token, body: { data: { password: 'pw-first' } } })).status,
    ).toBe(200);
  });

  afterAll(async () => {
    await Promise.all([server?.stop(), postgres?.stop()]);
  });

  it('the first apply records the site, the cluster ID and the address in the schema', async () => {
    const clusterId = (await vaultHttp(server.address, 'GET', 'sys/seal-status')).body.cluster_id as string;
    const rows = await postgres.query<{ site: string; address: string; cluster_id: string }>(`SELECT site, address, cluster_id FROM ${SCHEMA}.maas_vault_site`);
    expect(rows).toEqual([{ site: 'first', address: server.address, cluster_id: clusterId }]);
  });

  it('another site on the same state.schema (its own work directory) is refused naming both sites; the first site is untouched', async () => {
    const second = new TestSite(server, {
      site: 'second',
      kv: { mount: 'kv-second' },
      approle: { adopt: true },
      state: { backend: 'pg', schema: SCHEMA },
      controllers: [{ name: 'region-1' }],
    });
    for (const command of [
      ['plan'],
      ['apply', '--auto-approve'],
      ['apply', '--auto-approve', '--replace-roles', '--delete-secrets', '--delete-policy'],
      ['destroy', '--auto-approve', '--delete-secrets'],
      // Read-only, but they would report first's roles as second's drift, or hand out first's wrapping tokens.
      ['status'],
      ['output'],
    ]) {
      const result = await second.cli(command, server.rootToken, pgEnv());
      expect([command.join(' '), result.exitCode]).toEqual([command.join(' '), 2]);
      expect(result.stderr).toContain(`the PostgreSQL schema ${SCHEMA} (state.schema) holds the state of site first`);
      expect(result.stderr).toContain('this config is site second');
      // Refused before the engine ran: no plan was made.
      expect(result.all).not.toMatch(/Refreshing state|will be (created|destroyed)/);
    }
    expect(await mounts()).not.toContain('kv-second/');
    expect(await roleIdNow()).toBe(region.roleId);
    expect(await regionReads()).toBe('pw-first');
    const plan = await first.cli(['plan', '--json'], server.rootToken, pgEnv());
    expect(JSON.parse(plan.stdout)).toEqual({ changes: false });
  });

  it('the same site from another work directory (a second admin machine) is not refused: it plans no change', async () => {
    const again = new TestSite(server, first.config);
    const plan = await again.cli(['plan', '--json'], server.rootToken, pgEnv());
    expect([plan.exitCode, plan.exitCode === 0 ? '' : plan.all]).toEqual([0, '']);
    expect(JSON.parse(plan.stdout)).toEqual({ changes: false });
    expect(await regionReads()).toBe('pw-first');
  });

  it("dev --config of the site runs on its own throwaway state, never the site's PostgreSQL schema (with or without a record there)", async () => {
    const row = async () => (await postgres.query<{ data: string }>(`SELECT data FROM ${SCHEMA}.states WHERE name = 'default'`))[0].data;
    const before = await row();
    const record = await postgres.query(`SELECT site, address, cluster_id FROM ${SCHEMA}.maas_vault_site`);
    // A state applied before records existed is the worst case: nothing tells the dev server's run it is not this site's Vault.
    for (const recorded of [true, false]) {
      if (!recorded) await postgres.query(`DELETE FROM ${SCHEMA}.maas_vault_site`);
      const result = await runCli(['dev', '--quiet', '--config', first.configPath], { env: pgEnv() });
      expect([recorded, result.exitCode, result.exitCode === 0 ? '' : result.all]).toEqual([recorded, 0, '']);
      expect(await row()).toBe(before);
    }
    await postgres.query(`INSERT INTO ${SCHEMA}.maas_vault_site (id, site, address, cluster_id, recorded_at) VALUES (1, $1, $2, $3, $4)`, [
      ...Object.values(record[0] as Record<string, string>),
      new Date().toISOString(),
    ]);
    expect(await roleIdNow()).toBe(region.roleId);
    expect(await regionReads()).toBe('pw-first');
    const plan = await first.cli(['plan', '--json'], server.rootToken, pgEnv());
    expect(JSON.parse(plan.stdout)).toEqual({ changes: false });
  });

  it('a complete destroy removes the record: another site may then use the schema', async () => {
    const destroyed = await first.cli(['destroy', '--auto-approve', '--delete-secrets'], server.rootToken, pgEnv());
    expect([destroyed.exitCode, destroyed.exitCode === 0 ? '' : destroyed.all]).toEqual([0, '']);
    expect(await postgres.query(`SELECT site FROM ${SCHEMA}.maas_vault_site`)).toEqual([]);
    const next = new TestSite(server, {
      site: 'next',
      kv: { mount: 'kv-next' },
      state: { backend: 'pg', schema: SCHEMA },
      controllers: [{ name: 'region-1' }],
    });
    const applied = await next.cli(['apply', '--auto-approve'], server.rootToken, pgEnv());
    expect([applied.exitCode, applied.exitCode === 0 ? '' : applied.all]).toEqual([0, '']);
    expect(await postgres.query(`SELECT site FROM ${SCHEMA}.maas_vault_site`)).toEqual([{ site: 'next' }]);
  });
});
