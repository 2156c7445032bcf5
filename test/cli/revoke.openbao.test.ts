/**
 * `revoke` on two sites sharing one Vault, set up the way the MAAS docs do (plain HTTP, no
 * engine), with region controllers configured as MAAS configures them: it ends exactly the
 * revoked controller's secret IDs and live tokens, and nothing of its neighbours or the other site.
 * Also: the configure command carries the file's address, not VAULT_ADDR.
 */
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { roleName, validateConfig, type MaasVaultConfig } from '../../config/index.js';
import { maasPolicyFor, renderAdminPolicy } from '../../policies/render.js';
import { maasConfigure, vaultHttp } from '../support/http.js';
import { TestSite } from '../support/site.js';
import { serverBinary } from '../support/matrix.js';
import { CLI } from '../support/cli.js';
import { execa } from 'execa';

let server: OpenBaoServer;
let dc1: TestSite;
let dc1b: TestSite;

interface Region {
  roleId: string;
  secretId: string;
  token: string;
}

const configOf = (site: TestSite): MaasVaultConfig => validateConfig({ vault: { address: server.address }, ...site.config }, { env: {}, source: 'test' });

async function root(method: string, path: string, body?: unknown) {
  const answer = await vaultHttp(server.address, method, path, { token: server.rootToken, body });
  if (answer.status >= 300) throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer;
}

/** The MAAS docs' manual set-up of one site. */
async function setUpByHand(site: TestSite): Promise<void> {
  const config = configOf(site);
  await root('POST', `sys/mounts/${config.kv.mount}`, { type: 'kv', options: { version: '2' } });
  await root('POST', `sys/policies/acl/${config.policy.name}`, { policy: maasPolicyFor(config) });
  for (const controller of config.controllers) {
    await root('POST', `auth/approle/role/${roleName(config, controller.name)}`, { token_policies: [config.policy.name], token_ttl: 300 });
  }
}

/** A region controller configured by MAAS with a fresh wrapped secret ID. */
async function configureRegion(site: TestSite, controller: string): Promise<Region> {
  const config = configOf(site);
  const role = `auth/approle/role/${roleName(config, controller)}`;
  const roleId = (await root('GET', `${role}/role-id`)).body.data.role_id;
  const wrapped = await vaultHttp(server.address, 'POST', `${role}/secret-id`, { token: server.rootToken, body: {}, wrapTtl: '5m' });
  const result = await maasConfigure(server.address, {
    roleId,
    wrappedToken: wrapped.body.wrap_info.token,
    secretsPath: config.secretsPath,
    mount: config.kv.mount,
  });
  return { roleId, secretId: result.secretId, token: result.token };
}

/** What a configured region still can do: use its token, and log in again with its secret ID. */
async function abilities(region: Region): Promise<{ token: number; login: number }> {
  const token = (await vaultHttp(server.address, 'GET', 'auth/token/lookup-self', { token: region.token })).status;
  const login = (await vaultHttp(server.address, 'POST', 'auth/approle/login', { body: { role_id: region.roleId, secret_id: region.secretId } })).status;
  return { token, login };
}

beforeAll(async () => {
  server = await startDevServer({ bao: serverBinary() });
  await root('POST', 'sys/auth/approle', { type: 'approle' });
  // The colliding pair: under the old names both had the role maas-dc1-b-region-1.
  dc1 = new TestSite(server, { site: 'dc1', kv: { mount: 'kv-dc1' }, controllers: [{ name: 'b-region-1' }, { name: 'region-2' }] });
  dc1b = new TestSite(server, { site: 'dc1-b', kv: { mount: 'kv-dc1-b' }, controllers: [{ name: 'region-1' }] });
  await setUpByHand(dc1);
  await setUpByHand(dc1b);
});

afterAll(async () => {
  await server?.stop();
});

/** The CLI under a pseudo-terminal (`script`), typing `answer` once it asks. */
async function onTerminal(site: TestSite, args: string[], answer: string): Promise<{ exitCode?: number; output: string }> {
  const line = [process.execPath, CLI, ...args, '--config', site.configPath].join(' ');
  const subprocess = execa('script', ['-qefc', line, '/dev/null'], {
    reject: false,
    extendEnv: false,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, TERM: 'dumb', VAULT_TOKEN: server.rootToken },
    stdin: 'pipe',
  });
  let output = '';
  let answered = false;
  subprocess.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    if (!answered && /will be accepted: $/.test(output)) {
      answered = true;
      subprocess.stdin?.write(`${answer}\n`);
    }
  });
  const result = await subprocess;
  return { exitCode: result.exitCode, output };
}

describe('destroying secret IDs asks first', () => {
  const accessors = async (site: TestSite, controller: string) =>
    ((await vaultHttp(server.address, 'LIST', `auth/approle/role/${roleName(configOf(site), controller)}/secret-id`, { token: server.rootToken })).body.data
      ?.keys ?? []) as string[];

  it.each([
    ['revoke', ['revoke', '--controller', 'region-1'], 'revoke changes Vault and there is no terminal to confirm on: pass --auto-approve'],
    [
      'credentials --revoke-previous',
      ['credentials', '--revoke-previous'],
      'credentials --revoke-previous changes Vault and there is no terminal to confirm on: pass --auto-approve',
    ],
  ])('%s off a terminal without --auto-approve: exit 2, nothing issued or destroyed, the region keeps working', async (_, args, message) => {
    const region = await configureRegion(dc1b, 'region-1');
    const before = await accessors(dc1b, 'region-1');
    const result = await dc1b.cli(args);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stdout).not.toContain('config-vault configure');
    expect(await accessors(dc1b, 'region-1')).toEqual(before);
    expect(await abilities(region)).toEqual({ token: 200, login: 200 });
  });

  it.each([
    ['revoke', ['revoke', '--controller', 'region-1'], 'Revoke cancelled: nothing was destroyed.'],
    [
      'credentials --revoke-previous',
      ['credentials', '--revoke-previous', '--controller', 'region-1'],
      'Credentials cancelled: nothing was issued or destroyed.',
    ],
  ])('%s on a terminal asks, and an answer other than yes changes nothing (exit 1)', async (_, args, cancelled) => {
    const region = await configureRegion(dc1b, 'region-1');
    const before = await accessors(dc1b, 'region-1');
    const declined = await onTerminal(dc1b, args, 'no');
    expect(declined.output).toContain("Only 'yes' will be accepted:");
    expect(declined.output).toContain(cancelled);
    expect(declined.exitCode).toBe(1);
    expect(await accessors(dc1b, 'region-1')).toEqual(before);
    expect(await abilities(region)).toEqual({ token: 200, login: 200 });
  });

  it('credentials --revoke-previous on a terminal, answered yes: the new secret ID is the only one left', async () => {
    await configureRegion(dc1b, 'region-1');
    const accepted = await onTerminal(dc1b, ['credentials', '--revoke-previous', '--controller', 'region-1'], 'yes');
    expect([accepted.exitCode, accepted.exitCode === 0 ? '' : accepted.output]).toEqual([0, '']);
    expect(accepted.output).toMatch(/destroyed \d+ older secret IDs?/);
    expect(await accessors(dc1b, 'region-1')).toHaveLength(1);
  });
});

describe('revoke --controller', () => {
  it('with a token that may sweep tokens: ends exactly that controller’s secret IDs and live tokens', async () => {
    const target = await configureRegion(dc1, 'b-region-1');
    const neighbour = await configureRegion(dc1, 'region-2');
    const otherSite = await configureRegion(dc1b, 'region-1');
    // A second live token of the target, as a region that logged in again would hold.
    const again = await vaultHttp(server.address, 'POST', 'auth/approle/login', { body: { role_id: target.roleId, secret_id: target.secretId } });
    const second = { ...target, token: again.body.auth.client_token as string };

    const result = await dc1.cli(['revoke', '--auto-approve', '--controller', 'b-region-1']);
    expect([result.exitCode, result.exitCode === 0 ? '' : result.all]).toEqual([0, '']);
    expect(result.stdout).toContain('b-region-1: destroyed 1 secret ID, ended 2 live tokens; it cannot log in again');
    expect(result.stderr).toContain('add "revoked": true to controllers[0] (b-region-1)');

    expect(await abilities(target)).toEqual({ token: 403, login: 400 });
    expect((await abilities(second)).token).toBe(403);
    expect(await abilities(neighbour)).toEqual({ token: 200, login: 200 });
    expect(await abilities(otherSite)).toEqual({ token: 200, login: 200 });
  });

  it('with only the admin policy: destroys the secret IDs, says exactly what it could not do, exits 1, touches no other token', async () => {
    const target = await configureRegion(dc1, 'region-2');
    const otherSite = await configureRegion(dc1b, 'region-1');
    await root('POST', 'sys/policies/acl/maas-admin-dc1', { policy: renderAdminPolicy(configOf(dc1)) });
    const admin = (await root('POST', 'auth/token/create', { policies: ['maas-admin-dc1'], ttl: '10m' })).body.auth.client_token;

    const result = await dc1.cli(['revoke', '--auto-approve', '--controller', 'region-2'], admin);
    expect(result.exitCode).toBe(1);
    // Its secret ID from the first test, and this one.
    expect(result.stdout).toContain('region-2: destroyed 2 secret IDs; it cannot log in again');
    expect(result.stderr).toContain('could not end the live tokens: the token may not list (with sudo) auth/token/accessors');
    expect(result.stderr).toContain(
      `Run the same command again with such a token: it ends only tokens whose login metadata names ${roleName(configOf(dc1), 'region-2')}`,
    );
    expect(result.all).not.toContain('-mode=path');
    expect(await abilities(target)).toEqual({ token: 200, login: 400 });
    expect(await abilities(otherSite)).toEqual({ token: 200, login: 200 });
  });

  it('sticks: credentials refuse until the config marks the revoked controllers, which then get none, until the mark is lifted', async () => {
    const names = (result: { stdout: string }) => JSON.parse(result.stdout).controllers.map((c: { name: string }) => c.name);
    const refused = await dc1.cli(['credentials', '--controller', 'region-2']);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain('credentials refused: `maas-vault revoke` cut off controllers[0] (b-region-1, revoked ');
    expect(refused.stderr).toContain('controllers[1] (region-2, revoked ');

    dc1.update((input) => ({
      ...input,
      controllers: [
        { name: 'b-region-1', revoked: true },
        { name: 'region-2', revoked: true },
      ],
    }));
    const named = await dc1.cli(['credentials', '--controller', 'b-region-1']);
    expect(named.exitCode).toBe(2);
    expect(named.stderr).toContain('--controller b-region-1: controllers[0] has "revoked": true');
    expect(names(await dc1.cli(['credentials', '--json']))).toEqual([]);
    const again = await dc1.cli(['revoke', '--auto-approve', '--controller', 'b-region-1']);
    expect(again.exitCode).toBe(0);
    expect(again.stderr).not.toContain('add "revoked": true');

    // Lifting region-2's revocation: remove its mark.
    dc1.update((input) => ({ ...input, controllers: [{ name: 'b-region-1', revoked: true }, { name: 'region-2' }] }));
    const lifted = await dc1.cli(['credentials', '--json']);
    expect([lifted.exitCode, lifted.exitCode === 0 ? '' : lifted.all]).toEqual([0, '']);
    expect(names(lifted)).toEqual(['region-2']);
  });
});

describe('the address in the configure command', () => {
  it('is the file’s vault.address when VAULT_ADDR differs, and the run says once which is which', async () => {
    const tunnelled = new TestSite(server, { ...dc1b.config, vault: { address: 'https://vault.example.test:8200' } });
    const result = await tunnelled.cli(['credentials', '--controller', 'region-1'], server.rootToken, { VAULT_ADDR: server.address });
    expect([result.exitCode, result.exitCode === 0 ? '' : result.all]).toEqual([0, '']);
    expect(result.stdout).toMatch(/sudo maas config-vault configure https:\/\/vault\.example\.test:8200 \S+ \S+ maas --mount kv-dc1-b/);
    expect(result.all).not.toMatch(new RegExp(`configure ${server.address.replace(/[.:/]/g, '\\$&')}`));
    const notes = result.stdout.split('\n').filter((line) => line.startsWith('This run reached Vault at'));
    expect(notes).toEqual([
      `This run reached Vault at ${server.address} (VAULT_ADDR); region controllers are told https://vault.example.test:8200 (vault.address in ${tunnelled.configPath}), never VAULT_ADDR.`,
    ]);
  });
});
