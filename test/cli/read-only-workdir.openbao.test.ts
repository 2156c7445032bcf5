/**
 * A work directory that cannot be written (a read-only bind mount in a private mount namespace,
 * as a locked-down admin host or a restored backup mounts it): the commands that only read it
 * run as they do elsewhere, and break-glass `revoke` destroys first, then says it could not
 * record the revocation and what to add to the config (exit 1).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { roleName, validateConfig, type MaasVaultConfig } from '../../config/index.js';
import { maasPolicyFor } from '../../policies/render.js';
import { maasConfigure, vaultHttp } from '../support/http.js';
import { TestSite } from '../support/site.js';
import { CLI, engineEnv, type CliResult } from '../support/cli.js';
import { serverBinary } from '../support/matrix.js';

// A private mount namespace needs root (unshare -m); elsewhere this suite cannot be set up.
const asRoot = process.getuid?.() === 0;
const describeAsRoot = asRoot ? describe : describe.skip;

describeAsRoot('a read-only work directory', () => {
  let server: OpenBaoServer;
  let site: TestSite;
  let config: MaasVaultConfig;
  let workDir: string;
  const regions = new Map<string, { roleId: string; secretId: string }>();

  async function root(method: string, path: string, body?: unknown, wrapTtl?: string) {
    const answer = await vaultHttp(server.address, method, path, { token: server.rootToken, body, wrapTtl });
    if (answer.status >= 300) throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer;
  }

  /** The CLI as runCli runs it, with the work directory bind-mounted read-only for this process only. */
  async function readOnlyCli(args: string[]): Promise<CliResult> {
    const script = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"';
    const result = await execa(
      'unshare',
      ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', workDir, process.execPath, CLI, ...args, '--config', site.configPath],
      {
        reject: false,
        all: true,
        input: '',
        extendEnv: false,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, ...engineEnv(), VAULT_TOKEN: server.rootToken },
        timeout: 120_000,
      },
    );
    return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr), all: String(result.all) };
  }

  const login = async (name: string) => {
    const region = regions.get(name)!;
    return (await vaultHttp(server.address, 'POST', 'auth/approle/login', { body: { role_id: region.roleId, secret_id: region.secretId } })).status;
  };
  const accessors = async (name: string) => {
    const listed = await vaultHttp(server.address, 'LIST', `auth/approle/role/${roleName(config, name)}/secret-id`, { token: server.rootToken });
    return listed.status === 404 ? [] : (listed.body.data.keys as string[]);
  };

  beforeAll(async () => {
    server = await startDevServer({ bao: serverBinary() });
    const input = {
      site: 'ro',
      approle: { adopt: true },
      kv: { mount: 'kv-ro', adopt: true },
      stackSecretIds: false,
      controllers: [{ name: 'region-1' }, { name: 'region-2' }],
    };
    site = new TestSite(server, input);
    config = validateConfig({ ...input, vault: { address: server.address } });
    await root('POST', 'sys/auth/approle', { type: 'approle' });
    await root('POST', 'sys/mounts/kv-ro', { type: 'kv', options: { version: '2' } });
    await root('PUT', `sys/policies/acl/${config.policy.name}`, { policy: maasPolicyFor(config) });
    for (const { name } of config.controllers) {
      const role = `auth/approle/role/${roleName(config, name)}`;
      await root('POST', role, { token_policies: [config.policy.name], token_ttl: 300 });
      const roleId = (await root('GET', `${role}/role-id`)).body.data.role_id as string;
      const wrapped = await root('POST', `${role}/secret-id`, {}, '5m');
      const configured = await maasConfigure(server.address, {
        roleId,
        wrappedToken: wrapped.body.wrap_info.token,
        secretsPath: config.secretsPath,
        mount: 'kv-ro',
      });
      regions.set(name, { roleId, secretId: configured.secretId });
    }
    // The work directory as a first command leaves it.
    workDir = join(site.dir, '.maas-vault', 'ro');
    mkdirSync(workDir, { recursive: true, mode: 0o700 });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('the mount is really read-only for the command', async () => {
    const probe = await execa(
      'unshare',
      ['-m', '--propagation', 'private', 'sh', '-c', 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && touch "$1/probe"', 'sh', workDir],
      { reject: false },
    );
    expect([probe.exitCode, probe.stderr]).toEqual([1, expect.stringContaining('Read-only file system')]);
  });

  it.each([['status'], ['output'], ['verify']])('%s runs as it does on a writable work directory', async (command) => {
    const writable = await site.cli([command, '--json']);
    const readOnly = await readOnlyCli([command, '--json']);
    expect([readOnly.exitCode, readOnly.stderr]).toEqual([writable.exitCode, '']);
    expect(writable.exitCode).not.toBe(2);
    // Same findings (verify's per-controller lines carry fresh numbers: compare what was found).
    const shape = (text: string) =>
      text.trim() ? JSON.stringify(JSON.parse(text), (key, value) => (['tokenTtlSeconds', 'message'].includes(key) ? undefined : value)) : text;
    expect(shape(readOnly.stdout)).toEqual(shape(writable.stdout));
  });

  it('revoke destroys first, then says it could not record the revocation and what to add to the config (exit 1)', async () => {
    expect([await login('region-1'), await login('region-2')]).toEqual([200, 200]);
    const result = await readOnlyCli(['revoke', '--controller', 'region-1', '--auto-approve']);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/^region-1: destroyed \d+ secret IDs?, ended \d+ live tokens?; it cannot log in again$/m);
    expect(result.stderr).toContain(`could not record the revocation in ${join(workDir, 'revoked.json')} (EROFS`);
    expect(result.stderr).toContain(`Add "revoked": true to controllers[0] (region-1) in ${site.configPath} now`);
    // What Vault holds: region-1 is cut off, its neighbour untouched.
    expect(await accessors('region-1')).toEqual([]);
    expect([await login('region-1'), await login('region-2')]).toEqual([400, 200]);
  });
});
