/**
 * A token that stops working partway through credentials, rotate or revoke (out of uses, expired,
 * revoked) is named as such, never as a missing policy, and the command says per controller what
 * was done and what not: checked against what Vault holds afterwards. The next run converges.
 */
import { hostname } from 'node:os';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { roleName, validateConfig, type MaasVaultConfig } from '../../config/index.js';
import { docsPolicy } from '../support/docs-policy.js';
import { vaultHttp } from '../support/http.js';
import { TestSite } from '../support/site.js';
import { serverBinary, serverCliName } from '../support/matrix.js';

/** The fix names this server's CLI, never the other's. */
function expectOwnLogin(stderr: string): void {
  expect(stderr).toContain(`Export a fresh token (VAULT_TOKEN or \`${serverCliName()} login\`)`);
  expect(stderr).not.toContain(`${serverCliName() === 'bao' ? 'vault' : 'bao'} login`);
}

const MOUNT = 'kv-faults';
const CONTROLLERS = 40;
const names = Array.from({ length: CONTROLLERS }, (_, index) => `region-${index + 1}`);

let server: OpenBaoServer;
let config: MaasVaultConfig;
let input: Record<string, unknown>;
const roleIds = new Map<string, string>();

async function root(method: string, path: string, body?: unknown, wrapTtl?: string) {
  const answer = await vaultHttp(server.address, method, path, { token: server.rootToken, body, wrapTtl });
  if (answer.status >= 300) throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer;
}

async function accessors(controller: string): Promise<string[]> {
  const listed = await vaultHttp(server.address, 'LIST', `auth/approle/role/${roleName(config, controller)}/secret-id`, { token: server.rootToken });
  return listed.status === 404 ? [] : (listed.body.data.keys as string[]);
}

async function counts(): Promise<Map<string, number>> {
  return new Map(await Promise.all(names.map(async (name) => [name, (await accessors(name)).length] as const)));
}

/** A token like root's, limited: `num_uses`, or a TTL. */
async function limitedToken(limit: { num_uses?: number; ttl?: string }): Promise<string> {
  return (await root('POST', 'auth/token/create', { ttl: '10m', ...limit })).body.auth.client_token as string;
}

/** The names after "label: " up to the next full stop in a message. */
function listed(text: string, label: string): string[] {
  const match = new RegExp(`${label.replace(/[()]/g, '\\$&')}: ([^.]*)\\.`).exec(text);
  if (!match) throw new Error(`no "${label}" in: ${text}`);
  return match[1] === 'none' ? [] : match[1].split(', ');
}

/** Another run of this work directory holds the site's lock (this test process: alive, this host). */
function holdLock(site: TestSite): () => void {
  const dir = join(site.dir, '.maas-vault', 'faults');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, 'maas-vault.lock');
  writeFileSync(path, JSON.stringify({ Operation: 'maas-vault apply', Who: 'test', Created: new Date().toISOString(), pid: process.pid, host: hostname() }), {
    mode: 0o600,
  });
  return () => rmSync(path, { force: true });
}

beforeAll(async () => {
  server = await startDevServer({ bao: serverBinary() });
  input = { site: 'faults', approle: { adopt: true }, kv: { mount: MOUNT, adopt: true }, stackSecretIds: false, controllers: names.map((name) => ({ name })) };
  config = validateConfig({ ...input, vault: { address: server.address } });
  await root('POST', 'sys/auth/approle', { type: 'approle' });
  await root('POST', `sys/mounts/${MOUNT}`, { type: 'kv', options: { version: '2' } });
  await root('PUT', `sys/policies/acl/${config.policy.name}`, { policy: docsPolicy(MOUNT, config.secretsPath) });
  for (const name of names) {
    const role = roleName(config, name);
    await root('POST', `auth/approle/role/${role}`, { policies: [config.policy.name], token_ttl: '5m' });
    roleIds.set(name, (await root('GET', `auth/approle/role/${role}/role-id`)).body.data.role_id);
    await root('POST', `auth/approle/role/${role}/secret-id`, {});
  }
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

describe('a token that runs out of uses partway', () => {
  it('credentials: named as such; what was issued is delivered and listed, the rest listed as not issued, matching Vault', async () => {
    const site = new TestSite(server, input);
    const before = await counts();
    // Its own lookup, then a role ID read and an issue per controller (the reads mostly first, the
    // controllers run side by side): it runs out among the issues.
    const result = await site.cli(['credentials', '--json'], await limitedToken({ num_uses: 1 + CONTROLLERS + CONTROLLERS / 2 }));
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('stopped accepting the token partway through this command: it ran out of uses');
    expectOwnLogin(result.stderr);
    expect(result.stderr).not.toContain('policies do not grant');
    const delivered = (JSON.parse(result.stdout).controllers as Array<{ name: string }>).map(({ name }) => name);
    const issued = listed(result.stderr, /Issued \d+ \(delivered above\)/.exec(result.stderr)![0]);
    const notIssued = listed(result.stderr, 'Not issued');
    expect(issued.length).toBeGreaterThan(0);
    expect(notIssued.length).toBeGreaterThan(0);
    expect([...issued].sort()).toEqual([...delivered].sort());
    expect([...issued, ...notIssued].sort()).toEqual([...names].sort());
    const after = await counts();
    for (const name of names) expect([name, after.get(name)! - before.get(name)!]).toEqual([name, issued.includes(name) ? 1 : 0]);
  });

  it('credentials --revoke-previous: every credential delivered; older secret IDs destroyed exactly for the controllers it names', async () => {
    const site = new TestSite(server, input);
    // Issuing takes two requests per controller, reading each region's state one more and two for the
    // site (sys/auth, the migrated check), destroying its one older secret ID two more (list,
    // destroy): it runs out halfway through the destroys.
    const result = await site.cli(
      ['credentials', '--json', '--revoke-previous', '--auto-approve'],
      await limitedToken({ num_uses: 1 + 3 * CONTROLLERS + 2 + CONTROLLERS }),
    );
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('it ran out of uses');
    expect(result.stderr).not.toContain('policies do not grant');
    const delivered = JSON.parse(result.stdout).controllers as Array<{ name: string; secretIdAccessor: string }>;
    expect(delivered.map(({ name }) => name).sort()).toEqual([...names].sort());
    const done = listed(result.stderr, /Older secret IDs destroyed \(\d+\) for/.exec(result.stderr)![0]);
    const notDone = listed(result.stderr, 'Not destroyed, still live, for');
    // The destroys run concurrently, so how many finish before the uses run out varies (on HashiCorp
    // Vault sometimes none): every controller is named in exactly one of the two lists, and each list
    // is checked against what Vault holds.
    expect([...done, ...notDone].sort()).toEqual([...names].sort());
    expect(notDone.length).toBeGreaterThan(0);
    for (const { name, secretIdAccessor } of delivered) {
      const live = await accessors(name);
      if (done.includes(name)) expect([name, live]).toEqual([name, [secretIdAccessor]]);
      else expect([name, live.length > 1 && live.includes(secretIdAccessor)]).toEqual([name, true]);
    }
  });

  it('rotate: named as such; the controllers it started are recorded and finishable, the rest listed', async () => {
    const site = new TestSite(server, input);
    // A list, a role ID read and an issue per controller: it runs out among the issues.
    const result = await site.cli(['rotate', '--json'], await limitedToken({ num_uses: 1 + 2 * CONTROLLERS + CONTROLLERS / 2 }));
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('it ran out of uses');
    expect(result.stderr).not.toContain('policies do not grant');
    const data = JSON.parse(result.stdout) as { controllers: Array<{ name: string }>; failed: Array<{ name: string; error: string }> };
    expect(data.failed.length).toBeGreaterThan(0);
    expect(data.controllers.length).toBeGreaterThan(0);
    expect(listed(result.stderr, 'New secret IDs issued and recorded (printed above) for').sort()).toEqual(data.controllers.map(({ name }) => name).sort());
    for (const { error } of data.failed) expect(error).toContain('Vault stopped accepting the token: it ran out of uses');
    expect(listed(result.stderr, 'Not issued').sort()).toEqual(data.failed.map(({ name }) => name).sort());
    // Converges: the next rotate with a good token starts the rest.
    const rest = await site.cli(['rotate', '--json', ...data.failed.flatMap(({ name }) => ['--controller', name])]);
    expect([rest.exitCode, rest.stderr]).toEqual([0, '']);
  });
});

describe('a token that ends while revoke waits for the lock', () => {
  it('expired: named with its expiry; the first destroy is done, the rest listed; the next revoke converges', async () => {
    const site = new TestSite(server, input);
    const targets = ['region-1', 'region-2'];
    await Promise.all(targets.map((name) => root('POST', `auth/approle/role/${roleName(config, name)}/secret-id`, {})));
    const release = holdLock(site);
    const token = await limitedToken({ ttl: '3s' });
    const revoke = site.cli(['revoke', ...targets.flatMap((name) => ['--controller', name]), '--lock-timeout', '30s', '--auto-approve'], token);
    await new Promise((resolve) => setTimeout(resolve, 5000));
    // Meanwhile the lock holder issued region-1 another secret ID: revoke's sweep must find it.
    await root('POST', `auth/approle/role/${roleName(config, 'region-1')}/secret-id`, {});
    release();
    const result = await revoke;
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/stopped accepting the token partway through this command: it expired at \d{4}-\d\d-\d\dT/);
    expect(listed(result.stderr, 'Not finished, may still log in').sort()).toEqual(targets);
    expect(result.stderr).toContain('Run this revoke again');
    // The first destroy went through before the token expired; what the holder issued since is left.
    expect(await accessors('region-2')).toEqual([]);
    expect(await accessors('region-1')).toHaveLength(1);
    const again = await site.cli(['revoke', ...targets.flatMap((name) => ['--controller', name]), '--auto-approve']);
    expect([again.exitCode, again.stderr]).toEqual([0, expect.stringContaining('add "revoked": true')]);
    for (const name of targets) expect(await accessors(name)).toEqual([]);
  }, 60_000);

  it('revoked: named as revoked', async () => {
    const site = new TestSite(server, input);
    await root('POST', `auth/approle/role/${roleName(config, 'region-3')}/secret-id`, {});
    const release = holdLock(site);
    const token = await limitedToken({});
    const revoke = site.cli(['revoke', '--controller', 'region-3', '--lock-timeout', '30s', '--auto-approve'], token);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await root('POST', 'auth/token/revoke', { token });
    await root('POST', `auth/approle/role/${roleName(config, 'region-3')}/secret-id`, {});
    release();
    const result = await revoke;
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('stopped accepting the token partway through this command: it was revoked while this command ran');
    expectOwnLogin(result.stderr);
    expect(result.stderr).not.toContain('policies do not grant');
    expect(await accessors('region-3')).toHaveLength(1);
  }, 60_000);
});
