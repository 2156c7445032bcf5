/**
 * State in PostgreSQL (the engines' pg backend) against a real PostgreSQL 15 and a real OpenBao:
 * the connection only ever comes from the environment, outputs come from the backend, a second
 * run waits for the lock and then names its holder, and a killed holder leaves nothing locked.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import pg from 'pg';
import type { OpenBaoServer } from '../../toolchain/openbao-server.js';
import { CLI, engineEnv } from '../support/cli.js';
import { vaultHttp } from '../support/http.js';
import { startOpenBaoAndPostgres, type TestPostgres } from '../support/postgres.js';
import { stopAll } from '../support/stop.js';
import { TestSite } from '../support/site.js';
import { describeE2E } from '../support/tiers.js';
import { roleName, validateConfig } from '../../config/index.js';

/** Every file below a directory, for "the secret is in none of them". */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

describeE2E('state in PostgreSQL (e2e: engine + provider + PostgreSQL 15)', () => {
  let server: OpenBaoServer;
  let postgres: TestPostgres;

  // Several sites share this Vault: approle is enabled once, and every site adopts it.
  beforeAll(async () => ({ server, postgres } = await startOpenBaoAndPostgres()));
  afterAll(() => stopAll(server, postgres));

  function pgSite(name: string, controllers = 3): TestSite {
    return new TestSite(server, {
      site: name,
      kv: { mount: `kv-${name}` },
      approle: { adopt: true },
      controllers: Array.from({ length: controllers }, (_, index) => ({ name: `region-${index + 1}` })),
      state: { backend: 'pg' },
    });
  }

  function names(site: TestSite) {
    return validateConfig({ vault: { address: server.address }, ...site.config }, { env: {}, source: 'test' });
  }

  /** Holders of advisory locks in the test database, as PostgreSQL sees them. */
  /** Holders of the engines' one-key locks (maas-vault's own site lock is a two-key one: engine/pg-site-lock.ts). */
  async function advisoryHolders(): Promise<string[]> {
    const rows = await postgres.query<{ application_name: string }>(
      "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1",
    );
    return rows.map((row) => row.application_name);
  }

  it('with PG_CONN_STR or the PG* variables: applies, keeps state only in PostgreSQL, never writes the connection anywhere', async () => {
    const site = pgSite('pgbasic');
    const applied = await site.cli(['apply', '--auto-approve', '--json'], server.rootToken, { PG_CONN_STR: postgres.connStr });
    expect(applied.exitCode).toBe(0);
    const layoutDir = join(site.dir, '.maas-vault', 'pgbasic');
    expect(existsSync(join(layoutDir, 'terraform.tfstate'))).toBe(false);
    const rows = await postgres.query<{ data: string }>("SELECT data FROM maas_vault_pgbasic.states WHERE name = 'default'");
    expect(JSON.parse(rows[0].data).outputs).toHaveProperty('role_ids');

    // Outputs from the backend, with libpq's variables this time, and no Vault token at all.
    const output = await site.cli(['output', '--json'], null, postgres.env);
    expect(output.exitCode).toBe(0);
    const fromPg = JSON.parse(output.stdout).controllers;
    expect(fromPg.map((controller: { role: string }) => controller.role)).toEqual(
      ['region-1', 'region-2', 'region-3'].map((name) => roleName(names(site), name)),
    );
    // output, as apply, says whether each wrapping token is still unused (h12): all fresh here.
    // The same records as apply's, except whether each region is configured: that takes a Vault token, which output does without.
    expect(fromPg).toEqual(JSON.parse(applied.stdout).controllers.map((controller: Record<string, unknown>) => ({ ...controller, configured: null })));
    const plan = await site.cli(['plan', '--json'], server.rootToken, postgres.env);
    expect(JSON.parse(plan.stdout)).toEqual({ changes: false });

    // Neither the password nor the connection string is in the config, the JSON, .terraform/ or any file of the site.
    for (const file of filesUnder(site.dir)) {
      const text = readFileSync(file, 'latin1');
      expect({ file, leaks: text.includes(postgres.password) || text.includes(postgres.connStr) }).toEqual({ file, leaks: false });
    }
    expect(readFileSync(join(layoutDir, 'cdktf.out', 'stacks', 'maas-vault-pgbasic', 'cdk.tf.json'), 'utf8')).toContain('"schema_name": "maas_vault_pgbasic"');
  });

  it('with no connection in the environment: exit 2 naming PG_CONN_STR and PGHOST, and nothing sent to Vault', async () => {
    const site = pgSite('pgnoconn');
    for (const command of [['apply', '--auto-approve'], ['plan'], ['output']]) {
      const result = await site.cli(command);
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toMatch(/state\.backend is 'pg' but neither PG_CONN_STR nor PGHOST is set: export PG_CONN_STR=/);
    }
    const role = await vaultHttp(server.address, 'GET', `auth/approle/role/${roleName(names(site), 'region-1')}`, { token: server.rootToken });
    expect(role.status).toBe(404);
    expect(existsSync(join(site.dir, '.maas-vault', 'pgnoconn', 'cdktf.out'))).toBe(false);
  });

  it('a second apply waits --lock-timeout for the lock, then exits 1 naming who holds it and since when; nothing changed', async () => {
    const site = pgSite('pglocked');
    expect((await site.cli(['apply', '--auto-approve'], server.rootToken, postgres.env)).exitCode).toBe(0);
    const before = await postgres.query<{ data: string }>("SELECT data FROM maas_vault_pglocked.states WHERE name = 'default'");
    // Another admin's run holds the lock: a session holding the same advisory lock the engine takes.
    const holder = new pg.Client({ connectionString: postgres.connStr, application_name: 'maas-vault by alice@admin-laptop pid 4242' });
    await holder.connect();
    try {
      await holder.query("SELECT pg_advisory_lock(id) FROM maas_vault_pglocked.states WHERE name = 'default'");
      const since = (await holder.query<{ backend_start: Date }>('SELECT backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid()')).rows[0]
        .backend_start;
      site.update((input) => ({ ...input, controllers: [...input.controllers, { name: 'region-4' }] }));
      const started = Date.now();
      const second = await site.cli(['apply', '--auto-approve', '--lock-timeout', '2s'], server.rootToken, postgres.env);
      const waitedMs = Date.now() - started;
      expect(second.exitCode).toBe(1);
      expect(second.stderr).toContain(
        `the state of site pglocked (in PostgreSQL schema maas_vault_pglocked) is locked by another plan, apply or destroy: maas-vault by alice@admin-laptop pid 4242 (database user maasvault from 127.0.0.1), connected since ${since.toISOString()}. Waited 2s (--lock-timeout)`,
      );
      process.stderr.write(`pg lock wait: apply with --lock-timeout 2s gave up after ${waitedMs} ms (CLI start and synth included)\n`);
      const role4 = await vaultHttp(server.address, 'GET', `auth/approle/role/${roleName(names(site), 'region-4')}`, { token: server.rootToken });
      expect(role4.status).toBe(404);
      const after = await postgres.query<{ data: string }>("SELECT data FROM maas_vault_pglocked.states WHERE name = 'default'");
      expect(after[0].data).toBe(before[0].data);
    } finally {
      await holder.end();
    }
    // Once the holder is gone, the same apply goes through.
    expect((await site.cli(['apply', '--auto-approve'], server.rootToken, postgres.env)).exitCode).toBe(0);
  });

  it("a new site's first apply waits for the database's creation lock and names its holder", async () => {
    const site = pgSite('pgcreating');
    const holder = new pg.Client({ connectionString: postgres.connStr, application_name: 'maas-vault by bob@ci-runner pid 77' });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock(-1)');
      const result = await site.cli(['apply', '--auto-approve', '--lock-timeout', '1s'], server.rootToken, postgres.env);
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toMatch(
        /is locked by another plan, apply or destroy: maas-vault by bob@ci-runner pid 77 \(database user maasvault from 127\.0\.0\.1\), connected since \S+\. Waited 1s/,
      );
    } finally {
      await holder.end();
    }
    expect((await site.cli(['apply', '--auto-approve'], server.rootToken, postgres.env)).exitCode).toBe(0);
  });

  it('two applies of one site at once: each succeeds or fails cleanly on the lock, and the state converges', async () => {
    const site = pgSite('pgrace', 10);
    const [first, second] = await Promise.all([
      site.cli(['apply', '--auto-approve', '--lock-timeout', '1s'], server.rootToken, postgres.env),
      site.cli(['apply', '--auto-approve', '--lock-timeout', '1s'], server.rootToken, postgres.env),
    ]);
    for (const result of [first, second]) {
      if (result.exitCode !== 0) {
        expect(result.exitCode).toBe(1);
        // One work directory: its own lock (engine/lock.ts) answers before the database's does.
        expect(result.stderr).toMatch(
          /the state of site pgrace \(in (PostgreSQL schema maas_vault_pgrace|\S+)\) is locked by another plan, apply or destroy: (maas-vault by \S+ pid \d+ \(database user maasvault from 127\.0\.0\.1\), connected since \S+|root@\S+, since .+|a run that has just finished or that PostgreSQL cannot name)\. Waited 1s|the work directory \S+pgrace is locked by maas-vault apply by \S+ \(pid \d+\) since \S+ \(lock record: \S+\); waited 1s/,
        );
      }
    }
    expect([first.exitCode, second.exitCode]).toContain(0);
    const plan = await site.cli(['plan', '--json'], server.rootToken, postgres.env);
    expect(JSON.parse(plan.stdout)).toEqual({ changes: false });
    expect(await advisoryHolders()).toEqual([]);
  });

  it('kill -9 of an applying engine leaves the site unlocked: the next apply converges and the plan is empty', async () => {
    const site = pgSite('pgkilled', 40);
    const apply = execa(process.execPath, [CLI, 'apply', '--auto-approve', '--config', site.configPath], {
      reject: false,
      extendEnv: false,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...engineEnv(), VAULT_TOKEN: server.rootToken, ...postgres.env },
    });
    // Wait until the engine holds the lock, then kill it (not the CLI) with SIGKILL.
    let engine: number | undefined;
    for (let tries = 0; tries < 600 && engine === undefined; tries++) {
      if ((await advisoryHolders()).some((name) => name.startsWith('maas-vault by '))) {
        const children = execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(apply.pid)], { encoding: 'utf8' });
        engine = Number(/^\s*(\d+)\s+(terraform|tofu)/m.exec(children)?.[1]) || undefined;
      }
      if (engine === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(engine).toBeDefined();
    process.kill(engine!, 'SIGKILL');
    const killed = await apply;
    expect(killed.exitCode).not.toBe(0);
    const retried = await site.cli(['apply', '--auto-approve'], server.rootToken, postgres.env);
    expect(retried.exitCode).toBe(0);
    const plan = await site.cli(['plan', '--json'], server.rootToken, postgres.env);
    expect(JSON.parse(plan.stdout)).toEqual({ changes: false });
    const listed = await vaultHttp(server.address, 'LIST', 'auth/approle/role', { token: server.rootToken });
    const expected = names(site).controllers.map((controller) => roleName(names(site), controller.name));
    expect(listed.body.data.keys).toEqual(expect.arrayContaining(expected));
  });

  it('two sites created in one database at once both apply, each in its own schema', async () => {
    // The engines' creation lock is one per database: the second site waits a moment (within --lock-timeout).
    const [a, b] = [pgSite('pgsitea'), pgSite('pgsiteb')];
    const results = await Promise.all([a, b].map((site) => site.cli(['apply', '--auto-approve'], server.rootToken, postgres.env)));
    expect(results.map((result) => [result.exitCode, result.exitCode === 0 ? '' : result.stderr.slice(-1500)])).toEqual([
      [0, ''],
      [0, ''],
    ]);
    const schemas = await postgres.query<{ nspname: string }>("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'maas_vault_pgsite%' ORDER BY 1");
    expect(schemas.map((row) => row.nspname)).toEqual(['maas_vault_pgsitea', 'maas_vault_pgsiteb']);
  });
});
