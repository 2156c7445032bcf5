/**
 * With `state.backend: pg` the site's lock lives in PostgreSQL: credentials, rotate and revoke
 * take the engines' own advisory lock on the site's state row, so two admins on different
 * machines (here: two work directories) and every plan, apply or destroy wait for each other.
 * Real OpenBao and PostgreSQL, no engine: the state row is made as the engines make it.
 */
import pg from 'pg';
import { startOpenBaoAndPostgres, type TestPostgres } from '../support/postgres.js';
import type { OpenBaoServer } from '../../toolchain/openbao-server.js';
import { roleName, validateConfig, type MaasVaultConfig } from '../../config/index.js';
import { docsPolicy } from '../support/docs-policy.js';
import { vaultHttp } from '../support/http.js';
import { TestSite } from '../support/site.js';

const MOUNT = 'kv-pglock';
const CONTROLLERS = 100;
const SCHEMA = 'maas_vault_pglock';
const names = Array.from({ length: CONTROLLERS }, (_, index) => `region-${index + 1}`);

let server: OpenBaoServer;
let postgres: TestPostgres;
let config: MaasVaultConfig;
let input: Record<string, any>;
const pgEnv = () => ({ PG_CONN_STR: postgres.connStr });

async function root(method: string, path: string, body?: unknown, wrapTtl?: string) {
  const answer = await vaultHttp(server.address, method, path, { token: server.rootToken, body, wrapTtl });
  if (answer.status >= 300) throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer;
}

async function accessors(controller: string): Promise<string[]> {
  const listed = await vaultHttp(server.address, 'LIST', `auth/approle/role/${roleName(config, controller)}/secret-id`, { token: server.rootToken });
  return listed.status === 404 ? [] : (listed.body.data.keys as string[]);
}

/** Another admin's run holding the site's lock, as the engine holds it: a session advisory lock on the state row's id. */
async function holdStateLock(applicationName: string): Promise<() => Promise<void>> {
  const client = new pg.Client({ connectionString: postgres.connStr, application_name: applicationName });
  await client.connect();
  const [{ id }] = (await client.query<{ id: string }>(`SELECT id::text AS id FROM ${SCHEMA}.states WHERE name = 'default'`)).rows;
  await client.query('SELECT pg_advisory_lock($1::bigint)', [id]);
  return () => client.end();
}

beforeAll(async () => {
  ({ server, postgres } = await startOpenBaoAndPostgres());
  input = {
    site: 'pglock',
    state: { backend: 'pg' },
    approle: { adopt: true },
    kv: { mount: MOUNT, adopt: true },
    stackSecretIds: false,
    controllers: names.map((name) => ({ name })),
  };
  config = validateConfig({ ...input, vault: { address: server.address } });
  await root('POST', `sys/mounts/${MOUNT}`, { type: 'kv', options: { version: '2' } });
  await root('PUT', `sys/policies/acl/${config.policy.name}`, { policy: docsPolicy(MOUNT, config.secretsPath) });
  for (const name of names) await root('POST', `auth/approle/role/${roleName(config, name)}`, { policies: [config.policy.name], token_ttl: '5m' });
  // The engines' table and row, as their pg backend creates them on the first init.
  await postgres.query(`CREATE SCHEMA ${SCHEMA}`);
  await postgres.query(`CREATE TABLE ${SCHEMA}.states (id bigserial PRIMARY KEY, name text UNIQUE, data text)`);
  await postgres.query(`INSERT INTO ${SCHEMA}.states (name, data) VALUES ('default', '{}')`);
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await postgres?.stop();
});

it('credentials waits for the lock another machine holds in PostgreSQL, names the holder, and issues nothing', async () => {
  const site = new TestSite(server, input);
  const release = await holdStateLock('maas-vault by alice@admin-b pid 4242');
  try {
    const before = await accessors('region-1');
    const result = await site.cli(['credentials', '--controller', 'region-1', '--lock-timeout', '2s'], server.rootToken, pgEnv());
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`the state of site pglock (in PostgreSQL schema ${SCHEMA}) is locked by another run: maas-vault by alice@admin-b pid 4242`);
    expect(result.stderr).toContain('Waited 2s (--lock-timeout). Nothing was changed');
    expect(await accessors('region-1')).toEqual(before);
  } finally {
    await release();
  }
  const after = await site.cli(['credentials', '--controller', 'region-1', '--json'], server.rootToken, pgEnv());
  expect([after.exitCode, after.stderr]).toEqual([0, '']);
});

it('revoke from one work directory while credentials runs from another for all 100 controllers: nothing of X is left, nothing handed out logs in', async () => {
  const admins = [new TestSite(server, input), new TestSite(server, input)];
  const outcomes: string[] = [];
  for (const [run, offset] of [0, 50, 100, 200, 400].entries()) {
    // Late in the list: credentials issues it late in its run.
    const target = names[CONTROLLERS - 1 - run];
    await root('POST', `auth/approle/role/${roleName(config, target)}/secret-id`, {});
    const roleId = (await root('GET', `auth/approle/role/${roleName(config, target)}/role-id`)).body.data.role_id as string;
    const credentials = admins[0].cli(['credentials', '--json', '--lock-timeout', '60s'], server.rootToken, pgEnv());
    await new Promise((resolve) => setTimeout(resolve, offset));
    const revoke = await admins[1].cli(['revoke', '--controller', target, '--json', '--lock-timeout', '60s', '--auto-approve'], server.rootToken, pgEnv());
    const issued = await credentials;
    expect([run, revoke.exitCode, revoke.exitCode === 0 ? '' : revoke.all]).toEqual([run, 0, '']);
    expect([run, await accessors(target)]).toEqual([run, []]);
    if (issued.exitCode !== 0) {
      // The other machine's revocation, read from PostgreSQL under the lock: refused before anything was issued.
      expect([run, issued.exitCode, issued.stderr]).toEqual([
        run,
        2,
        expect.stringContaining(`credentials refused: \`maas-vault revoke\` cut off controllers[${names.indexOf(target)}] (${target}`),
      ]);
      outcomes.push('refused');
    }
    const handedOut =
      issued.exitCode === 0
        ? (JSON.parse(issued.stdout).controllers as Array<{ name: string; wrappedToken: string }>).find(({ name }) => name === target)
        : undefined;
    if (handedOut) {
      const unwrapped = await vaultHttp(server.address, 'POST', 'sys/wrapping/unwrap', { token: handedOut.wrappedToken });
      const login = await vaultHttp(server.address, 'POST', 'auth/approle/login', { body: { role_id: roleId, secret_id: unwrapped.body.data.secret_id } });
      expect([run, login.status]).toEqual([run, 400]);
      outcomes.push('issued');
    }
    // Both admins mark it, as revoke asks.
    input = { ...input, controllers: input.controllers.map((c: { name: string }) => (c.name === target ? { ...c, revoked: true } : c)) };
    for (const admin of admins) admin.update(() => input);
  }
  // The race was run, not dodged: at least once credentials handed X a secret ID meanwhile.
  expect(outcomes).toContain('issued');
}, 300_000);

it("a revoke made on one machine is refused by another machine's credentials until the config marks it", async () => {
  const [here, there] = [new TestSite(server, input), new TestSite(server, input)];
  const target = names[10];
  const revoke = await here.cli(['revoke', '--controller', target, '--auto-approve'], server.rootToken, pgEnv());
  expect(revoke.exitCode).toBe(0);
  expect(revoke.stderr).toContain(
    `until then apply, credentials and rotate refuse to run, from any machine (the revocation is recorded in PostgreSQL schema ${SCHEMA})`,
  );
  const before = await accessors(names[11]);
  const refused = await there.cli(['credentials', '--controller', names[11]], server.rootToken, pgEnv());
  expect([refused.exitCode, refused.stderr]).toEqual([2, expect.stringContaining(`cut off controllers[10] (${target}, revoked `)]);
  const rotate = await there.cli(['rotate', '--controller', names[11]], server.rootToken, pgEnv());
  expect(rotate.exitCode).toBe(2);
  expect(await accessors(names[11])).toEqual(before);
  input = { ...input, controllers: input.controllers.map((c: { name: string }) => (c.name === target ? { ...c, revoked: true } : c)) };
  there.update(() => input);
  const marked = await there.cli(['credentials', '--json'], server.rootToken, pgEnv());
  expect([marked.exitCode, marked.stderr]).toEqual([0, '']);
  expect((JSON.parse(marked.stdout).controllers as Array<{ name: string }>).map(({ name }) => name)).not.toContain(target);
  expect(await accessors(target)).toEqual([]);
  // The entry is dropped once a config marks it: the mark alone decides from then on.
  expect(await postgres.query(`SELECT controller FROM ${SCHEMA}.maas_vault_revocations WHERE controller = $1`, [target])).toEqual([]);
});
