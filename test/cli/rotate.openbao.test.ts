/**
 * Two-phase rotation on a real OpenBao set up the MAAS docs' way with plain HTTP (no engine): a
 * region keeps logging in with its old secret ID until it is re-configured, and `--finish`
 * destroys exactly the secret IDs that were live before `rotate` began.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { roleName, validateConfig, type MaasVaultConfig } from '../../config/index.js';
import { docsPolicy } from '../support/docs-policy.js';
import { maasConfigure, vaultHttp } from '../support/http.js';
import { TestSite } from '../support/site.js';
import { CLI, engineEnv } from '../support/cli.js';
import { serverBinary } from '../support/matrix.js';

const MOUNT = 'kv-rotate';
const SECRETS_PATH = 'maas';

describe('rotate (openbao: no engine)', () => {
  let server: OpenBaoServer;
  let site: TestSite;
  let config: MaasVaultConfig;
  /** The secret_id each region runs on, as its MAAS stored it at configure. */
  const running = new Map<string, string>();
  const roleIds = new Map<string, string>();

  const login = async (controller: string, secretId: string) =>
    (await vaultHttp(server.address, 'POST', 'auth/approle/login', { body: { role_id: roleIds.get(controller), secret_id: secretId } })).status;

  const accessors = async (controller: string): Promise<string[]> => {
    for (let attempt = 0; ; attempt++) {
      const listed = await vaultHttp(server.address, 'LIST', `auth/approle/role/${roleName(config, controller)}/secret-id`, { token: server.rootToken });
      // Polled while a rotate writes: OpenBao may roll the read's transaction back ("transaction
      // commit failed", 500), as maas-vault's own client knows; asked again, it answers.
      if (listed.status === 500 && attempt < 5 && /transaction commit failed/.test(JSON.stringify(listed.body))) continue;
      if (listed.status !== 404 && !listed.body?.data) throw new Error(`LIST ${controller}: ${listed.status} ${JSON.stringify(listed.body)}`);
      return listed.status === 404 ? [] : listed.body.data.keys;
    }
  };

  /** `maas config-vault configure ... --yes` on the region, with the token it was handed. */
  const reconfigure = async (controller: string, wrappedToken: string) => {
    const configured = await maasConfigure(server.address, { roleId: roleIds.get(controller)!, wrappedToken, secretsPath: SECRETS_PATH, mount: MOUNT });
    running.set(controller, configured.secretId);
  };

  const rotate = async (controllers: string[]) => {
    const result = await site.cli(['rotate', ...controllers.flatMap((name) => ['--controller', name]), '--json']);
    expect([result.exitCode, result.stderr]).toEqual([0, '']);
    return JSON.parse(result.stdout) as {
      controllers: Array<{
        name: string;
        wrappedToken: string;
        command: string;
        restartCommands: Record<string, string>;
        secretIdAccessor: string;
        previousSecretIdAccessors: string[];
      }>;
      finishCommand: string;
    };
  };

  const finish = async (controllers: string[], extra: string[] = ['--auto-approve']) =>
    site.cli(['rotate', '--finish', ...controllers.flatMap((name) => ['--controller', name]), '--json', ...extra]);

  beforeAll(async () => {
    server = await startDevServer({ bao: serverBinary() });
    const input = {
      site: 'rot',
      approle: { adopt: true },
      kv: { mount: MOUNT, adopt: true },
      secretsPath: SECRETS_PATH,
      stackSecretIds: false,
      controllers: [{ name: 'region-1' }, { name: 'region-2' }, { name: 'region-3' }],
    };
    site = new TestSite(server, input);
    config = validateConfig({ ...input, vault: { address: server.address } });

    // The MAAS docs' steps, as plain HTTP: approle, kv-v2, the policy, a role and a wrapped secret ID per region.
    const root = { token: server.rootToken };
    expect((await vaultHttp(server.address, 'POST', 'sys/auth/approle', { ...root, body: { type: 'approle' } })).status).toBe(204);
    expect((await vaultHttp(server.address, 'POST', `sys/mounts/${MOUNT}`, { ...root, body: { type: 'kv', options: { version: '2' } } })).status).toBe(204);
    const policy = docsPolicy(MOUNT, SECRETS_PATH);
    expect((await vaultHttp(server.address, 'PUT', `sys/policies/acl/${config.policy.name}`, { ...root, body: { policy } })).status).toBe(204);
    for (const { name } of config.controllers) {
      const role = roleName(config, name);
      expect(
        (await vaultHttp(server.address, 'POST', `auth/approle/role/${role}`, { ...root, body: { policies: [config.policy.name], token_ttl: '5m' } })).status,
      ).toBe(204);
      roleIds.set(name, (await vaultHttp(server.address, 'GET', `auth/approle/role/${role}/role-id`, root)).body.data.role_id);
      const wrapped = await vaultHttp(server.address, 'POST', `auth/approle/role/${role}/secret-id`, { ...root, wrapTtl: '5m', body: {} });
      await reconfigure(name, wrapped.body.wrap_info.token);
    }
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('--finish without a prior rotate says there is nothing to finish and destroys nothing', async () => {
    const before = await accessors('region-2');
    const result = await finish(['region-2']);
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ finished: [], blocked: [], nothingToFinish: ['region-2'] });
    const text = await site.cli(['rotate', '--finish', '--auto-approve']);
    expect([text.exitCode, text.stdout.trim()]).toEqual([0, 'Nothing to finish: no rotation was begun. `maas-vault rotate --controller NAME` begins one.']);
    expect(await accessors('region-2')).toEqual(before);
  });

  it('--finish with no terminal and no --auto-approve is a usage error (exit 2)', async () => {
    const result = await finish(['region-1'], []);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('pass --auto-approve');
  });

  it('rotate, re-configure, finish: the old secret ID works until --finish, then only the new one logs in', async () => {
    const old = running.get('region-1')!;
    const oldAccessors = await accessors('region-1');
    const started = await rotate(['region-1']);
    const [record] = started.controllers;
    expect(record.command).toMatch(
      new RegExp(`^sudo maas config-vault configure ${server.address} ${roleIds.get('region-1')} \\S+ ${SECRETS_PATH} --mount ${MOUNT} --yes$`),
    );
    expect(record.command).toContain(record.wrappedToken);
    expect(record.restartCommands).toEqual({ snap: 'sudo snap restart maas', deb: 'sudo systemctl restart maas-regiond' });
    expect(record.previousSecretIdAccessors).toEqual(oldAccessors);
    expect(started.finishCommand).toContain('rotate --finish --controller region-1');

    // The record holds accessors only, owner-only.
    const recordPath = join(site.dir, '.maas-vault', 'rot', 'rotation.json');
    expect(statSync(recordPath).mode & 0o777).toBe(0o600);
    expect(readFileSync(recordPath, 'utf8')).not.toContain(record.wrappedToken);

    // Until the region is re-configured it runs on the old one: still good.
    expect(await login('region-1', old)).toBe(200);
    await reconfigure('region-1', record.wrappedToken);
    const fresh = running.get('region-1')!;
    expect(fresh).not.toBe(old);
    expect([await login('region-1', old), await login('region-1', fresh)]).toEqual([200, 200]);

    const finished = await finish(['region-1']);
    expect([finished.exitCode, finished.stderr]).toEqual([0, '']);
    expect(JSON.parse(finished.stdout).finished).toEqual([
      { name: 'region-1', role: roleName(config, 'region-1'), destroyedSecretIds: 1, destroyedSecretIdAccessors: oldAccessors, alreadyGone: 0 },
    ]);
    expect(await login('region-1', old)).toBe(400);
    expect(await login('region-1', fresh)).toBe(200);
    for (const other of ['region-2', 'region-3']) expect(await login(other, running.get(other)!)).toBe(200);
    expect(existsSync(recordPath)).toBe(false);

    // Finished means finished: a second --finish has nothing left.
    expect(JSON.parse((await finish(['region-1'])).stdout).nothingToFinish).toEqual(['region-1']);
  });

  it('a secret ID issued between rotate and --finish survives it', async () => {
    const old = running.get('region-2')!;
    const started = await rotate(['region-2']);
    const issued = await site.cli(['credentials', '--controller', 'region-2', '--json']);
    expect(issued.exitCode).toBe(0);
    const between = JSON.parse(issued.stdout).controllers[0];
    const unwrapped = await vaultHttp(server.address, 'POST', 'sys/wrapping/unwrap', { token: between.wrappedToken });
    const betweenSecretId = unwrapped.body.data.secret_id as string;

    await reconfigure('region-2', started.controllers[0].wrappedToken);
    const finished = await finish(['region-2']);
    expect(finished.exitCode).toBe(0);
    expect(await login('region-2', old)).toBe(400);
    expect(await login('region-2', running.get('region-2')!)).toBe(200);
    expect(await login('region-2', betweenSecretId)).toBe(200);
  });

  it('--finish refuses while the region has not unwrapped its new token, and destroys nothing', async () => {
    const old = running.get('region-3')!;
    const started = await rotate(['region-3']);
    const blocked = await finish(['region-3']);
    expect(blocked.exitCode).toBe(1);
    expect(JSON.parse(blocked.stdout).blocked).toEqual([{ name: 'region-3', reason: expect.stringContaining('has not been unwrapped yet') }]);
    expect(await login('region-3', old)).toBe(200);

    // A second rotate before --finish (say the first token was lost) keeps the first one's list:
    // the secret ID of the first rotate is not "older" and survives.
    const again = await rotate(['region-3']);
    expect(again.controllers[0].previousSecretIdAccessors).toEqual(started.controllers[0].previousSecretIdAccessors);
    await reconfigure('region-3', again.controllers[0].wrappedToken);
    const finished = await finish(['region-3']);
    expect(finished.exitCode).toBe(0);
    expect(await login('region-3', old)).toBe(400);
    expect(await login('region-3', running.get('region-3')!)).toBe(200);
    expect(await accessors('region-3')).toEqual(expect.arrayContaining([started.controllers[0].secretIdAccessor, again.controllers[0].secretIdAccessor]));
  });

  it('the human transcript names configure --yes, both restarts and the finish command', async () => {
    const result = await site.cli(['rotate', '--controller', 'region-1']);
    expect(result.exitCode).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^sudo maas config-vault configure .* --yes$/),
        'sudo snap restart maas    # snap install',
        'sudo systemctl restart maas-regiond    # deb install',
        `maas-vault rotate --finish --controller region-1 --config ${site.configPath}`,
      ]),
    );
    const token = /configure \S+ \S+ (\S+) /.exec(result.stdout)![1];
    await reconfigure('region-1', token);
    const finished = await site.cli(['rotate', '--finish', '--controller', 'region-1', '--auto-approve']);
    expect([finished.exitCode, finished.stdout.trim()]).toEqual([
      0,
      'region-1: rotation finished: destroyed 1 older secret ID; it logs in with its new one only',
    ]);
  });

  it('a token holding only `maas-vault policy issuer` rotates and finishes (CI)', async () => {
    const rendered = await site.cli(['policy', 'issuer'], null);
    expect((await vaultHttp(server.address, 'PUT', 'sys/policies/acl/rot-issuer', { token: server.rootToken, body: { policy: rendered.stdout } })).status).toBe(
      204,
    );
    const issuer = (await vaultHttp(server.address, 'POST', 'auth/token/create', { token: server.rootToken, body: { policies: ['rot-issuer'], ttl: '1h' } }))
      .body.auth.client_token;
    const old = running.get('region-2')!;
    const started = await site.cli(['rotate', '--controller', 'region-2', '--json'], issuer);
    expect([started.exitCode, started.stderr]).toEqual([0, '']);
    await reconfigure('region-2', JSON.parse(started.stdout).controllers[0].wrappedToken);
    const finished = await site.cli(['rotate', '--finish', '--controller', 'region-2', '--auto-approve', '--json'], issuer);
    expect(finished.exitCode).toBe(0);
    expect([await login('region-2', old), await login('region-2', running.get('region-2')!)]).toEqual([400, 200]);
  });

  it("a record edited to name another role's secret ID cannot destroy it", async () => {
    const started = await rotate(['region-1']);
    await reconfigure('region-1', started.controllers[0].wrappedToken);
    const recordPath = join(site.dir, '.maas-vault', 'rot', 'rotation.json');
    const record = JSON.parse(readFileSync(recordPath, 'utf8'));
    record.controllers['region-1'].previousAccessors.push(...(await accessors('region-2')));
    writeFileSync(recordPath, JSON.stringify(record));
    const finished = await finish(['region-1']);
    expect(finished.exitCode).toBe(0);
    expect(JSON.parse(finished.stdout).finished[0].destroyedSecretIds).toBe(1);
    expect(await login('region-2', running.get('region-2')!)).toBe(200);
    expect(await login('region-1', running.get('region-1')!)).toBe(200);
  });

  it('a --finish that stopped partway is finished by running it again: what is gone is skipped', async () => {
    const started = await rotate(['region-3']);
    const older = started.controllers[0].previousSecretIdAccessors;
    expect(older.length).toBeGreaterThanOrEqual(2);
    await reconfigure('region-3', started.controllers[0].wrappedToken);
    // As if the first --finish was killed after destroying one of them.
    const role = roleName(config, 'region-3');
    await vaultHttp(server.address, 'POST', `auth/approle/role/${role}/secret-id-accessor/destroy`, {
      token: server.rootToken,
      body: { secret_id_accessor: older[0] },
    });
    const finished = await finish(['region-3']);
    expect(finished.exitCode).toBe(0);
    expect(JSON.parse(finished.stdout).finished[0]).toMatchObject({ destroyedSecretIds: older.length - 1, alreadyGone: 1 });
    expect(await accessors('region-3')).toEqual([started.controllers[0].secretIdAccessor]);
    expect(await login('region-3', running.get('region-3')!)).toBe(200);
  });

  it('a rotate killed partway destroys nothing: every region still logs in, and --finish cannot cut one off', async () => {
    const names = config.controllers.map(({ name }) => name);
    const before = new Map(await Promise.all(names.map(async (name) => [name, await accessors(name)] as const)));
    const child = execa(process.execPath, [CLI, 'rotate', '--config', site.configPath, '--json'], {
      reject: false,
      extendEnv: false,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, VAULT_TOKEN: server.rootToken, ...engineEnv() },
    });
    // Kill it as soon as Vault holds one of its new secret IDs (or whenever it got that far).
    const grown = async () => (await Promise.all(names.map(async (name) => (await accessors(name)).length > before.get(name)!.length))).some(Boolean);
    while (child.exitCode === null && !(await grown())) await new Promise((resolve) => setTimeout(resolve, 5));
    child.kill('SIGKILL');
    await child;
    for (const name of names) {
      expect(await accessors(name)).toEqual(expect.arrayContaining(before.get(name)!));
      expect(await login(name, running.get(name)!)).toBe(200);
    }
    // Whatever the record holds now, the regions never unwrapped a token, so nothing is destroyed.
    const finished = await finish([]);
    expect([0, 1]).toContain(finished.exitCode);
    for (const name of names) expect(await login(name, running.get(name)!)).toBe(200);
  });

  it('credentials --help says what --revoke-previous does to a running region and points at rotate', async () => {
    const help = await site.cli(['credentials', '--help'], null);
    expect(help.exitCode).toBe(0);
    const text = help.stdout.replace(/\s+/g, ' ');
    expect(text).toContain('a region still running on an old one fails its next login');
    expect(text).toContain('use `maas-vault rotate`');
  });

  // What every command that hands out secret IDs must do, applied to rotate.
  // Last in the file: they rotate and revoke in work directories of their own.
  it("the configure command carries the config's address, never VAULT_ADDR, and the run says which is which", async () => {
    const tunnelled = new TestSite(server, { ...site.config, vault: { address: 'https://vault.example.test:8200' } });
    const result = await tunnelled.cli(['rotate', '--controller', 'region-1'], server.rootToken, { VAULT_ADDR: server.address });
    expect([result.exitCode, result.exitCode === 0 ? '' : result.all]).toEqual([0, '']);
    expect(result.stdout).toMatch(/sudo maas config-vault configure https:\/\/vault\.example\.test:8200 \S+ \S+ maas --mount kv-rotate --yes/);
    expect(result.all).not.toContain(`configure ${server.address}`);
    expect(result.stdout.split('\n').filter((line) => line.startsWith('This run reached Vault at'))).toEqual([
      `This run reached Vault at ${server.address} (VAULT_ADDR); region controllers are told https://vault.example.test:8200 (vault.address in ${tunnelled.configPath}), never VAULT_ADDR.`,
    ]);
  });

  it('--out is checked before Vault is called, written 0600, and stdout then carries no token: a summary', async () => {
    const elsewhere = new TestSite(server, site.config);
    const names = config.controllers.map(({ name }) => name);
    const before = await Promise.all(names.map(accessors));
    const refused = await elsewhere.cli(['rotate', '--out', join(elsewhere.dir, 'no-such-dir', 'rotation.json')]);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain('--out');
    expect(refused.stderr).toContain('nothing was sent to Vault');
    expect(await Promise.all(names.map(accessors))).toEqual(before);
    expect(existsSync(join(elsewhere.dir, '.maas-vault', 'rot', 'rotation.json'))).toBe(false);

    const out = join(elsewhere.dir, 'rotation-out.json');
    const written = await elsewhere.cli(['rotate', '--controller', 'region-2', '--out', out]);
    expect([written.exitCode, written.exitCode === 0 ? '' : written.all]).toEqual([0, '']);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(readFileSync(out, 'utf8'));
    expect(saved.controllers.map((entry: { name: string }) => entry.name)).toEqual(['region-2']);
    expect(saved.finishCommand).toContain('--finish --controller region-2');
    // stdout is often a CI job's log: the file holds the wrapping tokens, stdout a summary.
    const token = saved.controllers[0].wrappedToken as string;
    expect(token.length).toBeGreaterThan(20);
    expect(written.all).not.toContain(token);
    expect(written.stdout).not.toMatch(/config-vault configure|maas init region/);
    expect(written.stdout).toContain(`Wrote ${out} (mode 0600): 1 new wrapped secret ID`);
    const { secretIdAccessor, expiresAt } = saved.controllers[0];
    const summary = `region-2: role ${roleName(config, 'region-2')}, secret ID accessor ${secretIdAccessor}, wrapping token expires ${expiresAt}`;
    expect(written.stdout).toContain(summary);
    expect(written.stdout).toContain(saved.finishCommand);

    const outJson = join(elsewhere.dir, 'rotation-out-json.json');
    const json = await elsewhere.cli(['rotate', '--controller', 'region-1', '--controller', 'region-2', '--out', outJson, '--json']);
    expect([json.exitCode, json.exitCode === 0 ? '' : json.all]).toEqual([0, '']);
    expect(statSync(outJson).mode & 0o777).toBe(0o600);
    const file = JSON.parse(readFileSync(outJson, 'utf8'));
    for (const entry of file.controllers) expect(json.all).not.toContain(entry.wrappedToken);
    expect(JSON.parse(json.stdout)).toEqual({
      out: outJson,
      controllers: file.controllers.map((entry: Record<string, unknown>) => ({
        name: entry.name,
        role: entry.role,
        secretIdAccessor: entry.secretIdAccessor,
        previousSecretIdAccessors: entry.previousSecretIdAccessors,
        wrapTtl: entry.wrapTtl,
        expiresAt: entry.expiresAt,
      })),
      failed: [],
      finishCommand: file.finishCommand,
    });
  });

  it('credentials --json and rotate --json describe a controller with the same fields, in the same order, where they share them', async () => {
    const both = new TestSite(server, site.config);
    const handed = await both.cli(['credentials', '--controller', 'region-1', '--json']);
    expect([handed.exitCode, handed.exitCode === 0 ? '' : handed.all]).toEqual([0, '']);
    const rotated = await both.cli(['rotate', '--controller', 'region-1', '--json']);
    expect([rotated.exitCode, rotated.exitCode === 0 ? '' : rotated.all]).toEqual([0, '']);
    const fromCredentials = JSON.parse(handed.stdout).controllers[0];
    const fromRotate = JSON.parse(rotated.stdout).controllers[0];
    const shared = ['name', 'role', 'roleId', 'wrappedToken', 'wrapTtl', 'expiresAt', 'secretIdAccessor'];
    expect(Object.keys(fromCredentials)).toEqual([...shared, 'url', 'secretsPath', 'mount', 'configured', 'command', 'initCommand']);
    expect(Object.keys(fromRotate)).toEqual([...shared, 'previousSecretIdAccessors', 'continued', 'command', 'restartCommands']);
    const sameFields = (record: Record<string, unknown>) => ({
      name: record.name,
      role: record.role,
      roleId: record.roleId,
      wrapTtl: record.wrapTtl,
      // Each run issued its own wrapping token: the command around it is the same.
      command: (record.command as string).replace(record.wrappedToken as string, '<wrapped token>'),
    });
    expect(sameFields(fromRotate)).toEqual(sameFields(fromCredentials));
    expect(fromCredentials).toMatchObject({ name: 'region-1', role: roleName(config, 'region-1'), roleId: roleIds.get('region-1'), configured: true });
    expect(fromRotate.command).toMatch(/ --yes$/);
    expect(fromRotate.wrappedToken).not.toBe(fromCredentials.wrappedToken);
    for (const record of [fromCredentials, fromRotate]) {
      expect(record.command).toContain(record.wrappedToken);
      expect(Number.isNaN(Date.parse(record.expiresAt))).toBe(false);
      expect((await accessors('region-1')).includes(record.secretIdAccessor)).toBe(true);
    }
    // Left as the other tests found it: the region runs on the rotated secret ID, the rotation is finished.
    await reconfigure('region-1', fromRotate.wrappedToken);
    const finished = await both.cli(['rotate', '--finish', '--controller', 'region-1', '--auto-approve', '--json']);
    expect([finished.exitCode, finished.exitCode === 0 ? '' : finished.all]).toEqual([0, '']);
    expect(await login('region-1', running.get('region-1')!)).toBe(200);
  });

  it('refuses revoked controllers like credentials: unmarked after revoke, then by name, and leaves them out of a rotate of all', async () => {
    const revoking = new TestSite(server, site.config);
    const revoked = await revoking.cli(['revoke', '--auto-approve', '--controller', 'region-3']);
    expect([revoked.exitCode, revoked.exitCode === 0 ? '' : revoked.all]).toEqual([0, '']);
    const before = await Promise.all(['region-1', 'region-2', 'region-3'].map(accessors));
    const unmarked = await revoking.cli(['rotate']);
    expect(unmarked.exitCode).toBe(2);
    expect(unmarked.stderr).toContain('rotate refused: `maas-vault revoke` cut off controllers[2] (region-3, revoked ');
    expect(await Promise.all(['region-1', 'region-2', 'region-3'].map(accessors))).toEqual(before);

    revoking.update((input) => ({ ...input, controllers: [{ name: 'region-1' }, { name: 'region-2' }, { name: 'region-3', revoked: true }] }));
    const named = await revoking.cli(['rotate', '--controller', 'region-3']);
    expect(named.exitCode).toBe(2);
    expect(named.stderr).toContain('--controller region-3: controllers[2] has "revoked": true');
    expect(await accessors('region-3')).toEqual([]);
    const all = await revoking.cli(['rotate', '--json']);
    expect([all.exitCode, all.exitCode === 0 ? '' : all.all]).toEqual([0, '']);
    expect(JSON.parse(all.stdout).controllers.map((entry: { name: string }) => entry.name)).toEqual(['region-1', 'region-2']);
    expect(await accessors('region-3')).toEqual([]);
  });
});
