/**
 * With `state.backend: pg` the rotation record lives beside the state in PostgreSQL: admin A (one
 * work directory) begins a rotation, admin B (another work directory, same schema) finishes it:
 * the old secret IDs are destroyed, the new ones log in. A work directory's record written before
 * (by a local-backend run) moves into PostgreSQL once. Real OpenBao and PostgreSQL, no engine.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startOpenBaoAndPostgres, type TestPostgres } from '../support/postgres.js';
import type { OpenBaoServer } from '../../toolchain/openbao-server.js';
import { roleName, validateConfig, type MaasVaultConfig } from '../../config/index.js';
import { docsPolicy } from '../support/docs-policy.js';
import { vaultHttp } from '../support/http.js';
import { TestSite } from '../support/site.js';

const names = ['region-1', 'region-2', 'region-3'];

let server: OpenBaoServer;
let postgres: TestPostgres;
const pgEnv = () => ({ PG_CONN_STR: postgres.connStr });

async function root(method: string, path: string, body?: unknown) {
  const answer = await vaultHttp(server.address, method, path, { token: server.rootToken, body });
  if (answer.status >= 300) throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer;
}

/** A site whose roles an admin made by hand, each with the one secret ID its region runs on. */
async function handMadeSite(site: string): Promise<{ input: Record<string, any>; config: MaasVaultConfig; old: Map<string, string> }> {
  const mount = `kv-${site}`;
  const controllers = names.map((name) => ({ name }));
  const input = { site, state: { backend: 'pg' }, approle: { adopt: true }, kv: { mount, adopt: true }, stackSecretIds: false, controllers };
  const config = validateConfig({ ...input, vault: { address: server.address } });
  await root('POST', `sys/mounts/${mount}`, { type: 'kv', options: { version: '2' } });
  await root('PUT', `sys/policies/acl/${config.policy.name}`, { policy: docsPolicy(mount, config.secretsPath) });
  const old = new Map<string, string>();
  for (const name of names) {
    await root('POST', `auth/approle/role/${roleName(config, name)}`, { policies: [config.policy.name], token_ttl: '5m' });
    old.set(name, (await root('POST', `auth/approle/role/${roleName(config, name)}/secret-id`, {})).body.data.secret_id as string);
  }
  return { input, config, old };
}

async function login(config: MaasVaultConfig, name: string, secretId: string): Promise<number> {
  const roleId = (await root('GET', `auth/approle/role/${roleName(config, name)}/role-id`)).body.data.role_id as string;
  return (await vaultHttp(server.address, 'POST', 'auth/approle/login', { body: { role_id: roleId, secret_id: secretId } })).status;
}

async function liveCount(config: MaasVaultConfig, name: string): Promise<number> {
  const listed = await vaultHttp(server.address, 'LIST', `auth/approle/role/${roleName(config, name)}/secret-id`, { token: server.rootToken });
  return listed.status === 404 ? 0 : (listed.body.data.keys as string[]).length;
}

/** What the region does with the command `rotate` printed: unwraps its new secret ID. */
async function unwrap(wrappedToken: string): Promise<string> {
  return (await vaultHttp(server.address, 'POST', 'sys/wrapping/unwrap', { token: wrappedToken })).body.data.secret_id as string;
}

beforeAll(async () => {
  ({ server, postgres } = await startOpenBaoAndPostgres());
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await postgres?.stop();
});

it("admin B, on another work directory with the same PostgreSQL schema, finishes admin A's rotation", async () => {
  const { input, config, old } = await handMadeSite('pgrot');
  const [a, b] = [new TestSite(server, input), new TestSite(server, input)];
  const begun = await a.cli(['rotate', '--json'], server.rootToken, pgEnv());
  expect([begun.exitCode, begun.stderr]).toEqual([0, '']);
  const started = JSON.parse(begun.stdout).controllers as Array<{ name: string; wrappedToken: string }>;
  expect(started.map(({ name }) => name)).toEqual(names);
  const fresh = new Map<string, string>();
  for (const { name, wrappedToken } of started) fresh.set(name, await unwrap(wrappedToken));

  const finished = await b.cli(['rotate', '--finish', '--auto-approve', '--json'], server.rootToken, pgEnv());
  expect([finished.exitCode, finished.stderr]).toEqual([0, '']);
  for (const name of names) {
    const [oldLogin, newLogin] = [await login(config, name, old.get(name)!), await login(config, name, fresh.get(name)!)];
    expect([name, oldLogin, newLogin, await liveCount(config, name)]).toEqual([name, 400, 200, 1]);
  }
  // Nothing in either work directory: the record is in PostgreSQL.
  const recordIn = (site: TestSite) => existsSync(join(site.dir, '.maas-vault', 'pgrot', 'rotation.json'));
  expect([recordIn(a), recordIn(b)]).toEqual([false, false]);
  // Finished for every machine: A has nothing left to finish.
  const again = await a.cli(['rotate', '--finish', '--auto-approve', '--json'], server.rootToken, pgEnv());
  expect([again.exitCode, JSON.parse(again.stdout).finished]).toEqual([0, []]);
});

it("a work directory's record from before moves into PostgreSQL once, and another machine finishes it", async () => {
  const { input, config, old } = await handMadeSite('pgmove');
  const a = new TestSite(server, { ...input, state: { backend: 'local' } });
  const begun = await a.cli(['rotate', '--controller', 'region-1', '--json']);
  expect(begun.exitCode).toBe(0);
  const record = join(a.dir, '.maas-vault', 'pgmove', 'rotation.json');
  expect(existsSync(record)).toBe(true);
  const first = await unwrap((JSON.parse(begun.stdout).controllers as Array<{ wrappedToken: string }>)[0].wrappedToken);
  // A's site moves its state to PostgreSQL; its next rotate moves the record there and extends it.
  a.update((current) => ({ ...current, state: { backend: 'pg' } }));
  const more = await a.cli(['rotate', '--controller', 'region-2', '--json'], server.rootToken, pgEnv());
  expect([more.exitCode, more.stderr]).toEqual([0, '']);
  expect([existsSync(record), existsSync(`${record}.moved-to-pg`)]).toEqual([false, true]);
  const second = await unwrap((JSON.parse(more.stdout).controllers as Array<{ wrappedToken: string }>)[0].wrappedToken);

  const b = new TestSite(server, input);
  const finished = await b.cli(['rotate', '--finish', '--auto-approve', '--json'], server.rootToken, pgEnv());
  expect([finished.exitCode, finished.stderr]).toEqual([0, '']);
  expect([await login(config, 'region-1', old.get('region-1')!), await login(config, 'region-1', first)]).toEqual([400, 200]);
  expect([await login(config, 'region-2', old.get('region-2')!), await login(config, 'region-2', second)]).toEqual([400, 200]);
  // Never rotated: untouched.
  expect([await login(config, 'region-3', old.get('region-3')!), await liveCount(config, 'region-3')]).toEqual([200, 1]);
});
