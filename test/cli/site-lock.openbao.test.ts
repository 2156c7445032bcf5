/**
 * One lock per site, proved by racing the commands that change Vault against each other on a
 * real server (no engine), each race run several times at several offsets, and judged by what
 * Vault holds afterwards: the secret-ID accessors of a role, and whether a secret ID logs in.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { roleName, validateConfig, type MaasVaultConfig } from '../../config/index.js';
import { docsPolicy } from '../support/docs-policy.js';
import { maasConfigure, vaultHttp } from '../support/http.js';
import { TestSite } from '../support/site.js';
import { serverBinary } from '../support/matrix.js';

const MOUNT = 'kv-lock';
const SECRETS_PATH = 'maas';
/** The size: a credentials run for the whole site is still issuing when revoke arrives. */
const CONTROLLERS = 120;

let server: OpenBaoServer;
let site: TestSite;
let config: MaasVaultConfig;
const roleIds = new Map<string, string>();
const names = Array.from({ length: CONTROLLERS }, (_, index) => `region-${index + 1}`);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function root(method: string, path: string, body?: unknown, wrapTtl?: string) {
  const answer = await vaultHttp(server.address, method, path, { token: server.rootToken, body, wrapTtl });
  if (answer.status >= 300) throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer;
}

async function accessors(controller: string): Promise<string[]> {
  for (let attempt = 0; ; attempt++) {
    const listed = await vaultHttp(server.address, 'LIST', `auth/approle/role/${roleName(config, controller)}/secret-id`, { token: server.rootToken });
    // OpenBao may roll a read back while others write ("transaction commit failed"); asked again, it answers.
    if (listed.status === 500 && attempt < 5 && /transaction commit failed/.test(JSON.stringify(listed.body))) continue;
    if (listed.status !== 404 && !listed.body?.data) throw new Error(`LIST ${controller}: ${listed.status} ${JSON.stringify(listed.body)}`);
    return listed.status === 404 ? [] : listed.body.data.keys;
  }
}

const login = async (controller: string, secretId: string) =>
  (await vaultHttp(server.address, 'POST', 'auth/approle/login', { body: { role_id: roleIds.get(controller), secret_id: secretId } })).status;

/** A region configured as MAAS configures it, with a fresh wrapped secret ID from root. */
async function configureRegion(controller: string): Promise<string> {
  const wrapped = await root('POST', `auth/approle/role/${roleName(config, controller)}/secret-id`, {}, '5m');
  return (
    await maasConfigure(server.address, {
      roleId: roleIds.get(controller)!,
      wrappedToken: wrapped.body.wrap_info.token,
      secretsPath: SECRETS_PATH,
      mount: MOUNT,
    })
  ).secretId;
}

/** What a wrapped secret ID handed out by a command holds, unwrapped as MAAS would. */
async function unwrap(wrappedToken: string): Promise<string> {
  const answer = await vaultHttp(server.address, 'POST', 'sys/wrapping/unwrap', { token: wrappedToken });
  if (answer.status !== 200) throw new Error(`unwrap: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body.data.secret_id as string;
}

beforeAll(async () => {
  server = await startDevServer({ bao: serverBinary() });
  const input = {
    site: 'lock',
    approle: { adopt: true },
    kv: { mount: MOUNT, adopt: true },
    secretsPath: SECRETS_PATH,
    stackSecretIds: false,
    controllers: names.map((name) => ({ name })),
  };
  site = new TestSite(server, input);
  config = validateConfig({ ...input, vault: { address: server.address } });
  // The MAAS docs' steps, as plain HTTP.
  await root('POST', 'sys/auth/approle', { type: 'approle' });
  await root('POST', `sys/mounts/${MOUNT}`, { type: 'kv', options: { version: '2' } });
  await root('PUT', `sys/policies/acl/${config.policy.name}`, { policy: docsPolicy(MOUNT, SECRETS_PATH) });
  for (const name of names) {
    const role = roleName(config, name);
    await root('POST', `auth/approle/role/${role}`, { policies: [config.policy.name], token_ttl: '5m' });
    roleIds.set(name, (await root('GET', `auth/approle/role/${role}/role-id`)).body.data.role_id);
  }
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

describe('break-glass wins its race with credentials', () => {
  // Offsets (ms) at which revoke starts after a credentials run for the whole site began.
  const OFFSETS = [0, 150, 300, 500, 800];

  it(`revoke --controller X while credentials runs for all ${CONTROLLERS} controllers: afterwards no secret ID of X exists or logs in`, async () => {
    const outcomes: string[] = [];
    for (const [run, offset] of OFFSETS.entries()) {
      const target = names[run];
      const before = await configureRegion(target);
      expect(await login(target, before)).toBe(200);

      const credentials = site.cli(['credentials', '--json']);
      await sleep(offset);
      const revoke = await site.cli(['revoke', '--controller', target, '--json', '--auto-approve']);
      const issued = await credentials;

      expect([run, revoke.exitCode, revoke.exitCode === 0 ? '' : revoke.all]).toEqual([run, 0, '']);
      // What Vault holds once revoke has returned: nothing of X, and nothing handed out logs in.
      expect([run, await accessors(target)]).toEqual([run, []]);
      expect([run, await login(target, before)]).toEqual([run, 400]);
      if (issued.exitCode === 0) {
        const handedOut = (JSON.parse(issued.stdout).controllers as Array<{ name: string; wrappedToken: string }>).find(({ name }) => name === target);
        if (handedOut) expect([run, await login(target, await unwrap(handedOut.wrappedToken))]).toEqual([run, 400]);
        outcomes.push(handedOut ? 'issued' : 'left out');
      } else {
        // Only the refusal of a controller revoke had already recorded (exit 2, nothing sent).
        expect([run, issued.exitCode, issued.stderr]).toEqual([run, 2, expect.stringContaining('credentials refused: `maas-vault revoke` cut off')]);
        outcomes.push('refused');
      }
      // The admin marks it, as revoke asks: the next run's credentials leave it out.
      site.update((input) => ({ ...input, controllers: input.controllers.map((c: { name: string }) => (c.name === target ? { ...c, revoked: true } : c)) }));
    }
    // The race was run, not dodged: at least once credentials handed X a secret ID meanwhile.
    expect(outcomes).toContain('issued');
  }, 300_000);
});

describe('revoke when the lock stays held', () => {
  it('destroys all the same, lists again until nothing is left, names the holder, exits 1', async () => {
    const admin = new TestSite(server, site.config);
    const target = names[60];
    const before = await configureRegion(target);
    const dir = join(admin.dir, '.maas-vault', 'lock');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // A long apply of this work directory (this test process: alive, this host).
    const lock = join(dir, 'maas-vault.lock');
    writeFileSync(
      lock,
      JSON.stringify({ Operation: 'maas-vault apply', Who: 'bob@admin-a', Created: '2026-12-01T09:00:00.000Z', pid: process.pid, host: hostname() }),
      { mode: 0o600 },
    );
    try {
      const result = await admin.cli(['revoke', '--controller', target, '--lock-timeout', '1s', '--auto-approve']);
      expect(result.exitCode).toBe(1);
      // Its own, and those the credentials runs above issued it.
      expect(result.stdout).toMatch(new RegExp(`^${target}: destroyed \\d+ secret IDs?, ended 1 live token; none is left as of now$`, 'm'));
      expect(result.stderr).toContain(
        `could not take the site's lock: the work directory ${dir} is locked by maas-vault apply by bob@admin-a (pid ${process.pid})`,
      );
      expect(result.stderr).toContain('Run this revoke again once it has finished');
      expect(await accessors(target)).toEqual([]);
      expect(await login(target, before)).toBe(400);
    } finally {
      rmSync(lock, { force: true });
    }
  });
});

describe('overlapping rotations', () => {
  // Its own work directory: nothing a revoke above recorded applies here.
  let admin: TestSite;
  beforeAll(() => {
    admin = new TestSite(server, site.config);
  });
  const recordPath = () => join(admin.dir, '.maas-vault', 'lock', 'rotation.json');
  const rotate = (controller: string) => admin.cli(['rotate', '--controller', controller, '--json']);
  // Offsets (ms) of the second rotate after the first.
  const OFFSETS = [0, 100, 250, 400];

  it('two rotate runs at once: both new secret IDs recorded as issued, neither listed as previous, --finish keeps the one the region runs on', async () => {
    for (const [run, offset] of OFFSETS.entries()) {
      const target = names[CONTROLLERS - 1 - run];
      const old = await configureRegion(target);
      const oldAccessors = await accessors(target);

      const first = rotate(target);
      await sleep(offset);
      const second = rotate(target);
      const results = await Promise.all([first, second]);
      for (const result of results) expect([run, result.exitCode, result.stderr]).toEqual([run, 0, '']);
      const started = results.map(
        (result) => JSON.parse(result.stdout).controllers[0] as { wrappedToken: string; secretIdAccessor: string; previousSecretIdAccessors: string[] },
      );
      const fresh = started.map(({ secretIdAccessor }) => secretIdAccessor);

      const record = JSON.parse(readFileSync(recordPath(), 'utf8')).controllers[target] as { previousAccessors: string[]; issuedAccessors: string[] };
      expect([run, [...record.issuedAccessors].sort()]).toEqual([run, [...fresh].sort()]);
      expect([run, record.previousAccessors]).toEqual([run, oldAccessors]);
      for (const { previousSecretIdAccessors } of started) expect([run, previousSecretIdAccessors]).toEqual([run, oldAccessors]);

      // The region is configured with the token of whichever run printed first (the case:
      // the first one's), then the rotation finished.
      const configured = await maasConfigure(server.address, {
        roleId: roleIds.get(target)!,
        wrappedToken: started[0].wrappedToken,
        secretsPath: SECRETS_PATH,
        mount: MOUNT,
      });
      const finished = await admin.cli(['rotate', '--finish', '--controller', target, '--auto-approve', '--json']);
      expect([run, finished.exitCode, finished.stderr]).toEqual([run, 0, '']);
      expect([run, await login(target, configured.secretId), await login(target, old)]).toEqual([run, 200, 400]);
      expect([run, (await accessors(target)).sort()]).toEqual([run, [...fresh].sort()]);
      expect(existsSync(recordPath())).toBe(false);
    }
  }, 300_000);
});
