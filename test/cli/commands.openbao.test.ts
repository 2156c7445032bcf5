/**
 * Every command that talks to Vault directly, against a real OpenBao set up exactly as the MAAS
 * docs' manual procedure does (no engine, no provider): credentials, verify-token, verify, status,
 * revoke, policy, and their error paths. This is also a real scenario: a site that followed the
 * docs by hand and now uses maas-vault for CI credentials, verify and status.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { roleName, type MaasVaultConfig } from '../../config/index.js';
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { runCli } from '../support/cli.js';
import { maasConfigure, vaultHttp } from '../support/http.js';
import { ManualSite } from '../support/manual-site.js';
import { serverBinary, serverStatusLine, serverCliName } from '../support/matrix.js';

let server: OpenBaoServer;
let site: ManualSite;
let config: MaasVaultConfig;
const role = (controller: string) => roleName(config, controller);

beforeAll(async () => {
  server = await startDevServer({ bao: serverBinary() });
  site = await ManualSite.create(server, {
    site: 'cli',
    kv: { mount: 'kv-cli' },
    secretsPath: 'maas',
    controllers: [{ name: 'region-1' }, { name: 'region-2' }, { name: 'region-3' }],
  });
  config = site.validated;
});

afterAll(async () => {
  await server?.stop();
});

async function tokenWithPolicies(...policies: string[]): Promise<string> {
  const created = await vaultHttp(server.address, 'POST', 'auth/token/create', { token: server.rootToken, body: { policies, ttl: '10m' } });
  return created.body.auth.client_token;
}

async function credentialsJson(args: string[] = []): Promise<any> {
  const result = await site.cli(['credentials', '--json', ...args]);
  expect([result.exitCode, result.exitCode === 0 ? '' : result.stderr]).toEqual([0, '']);
  return JSON.parse(result.stdout);
}

async function accessors(controller: string): Promise<string[]> {
  const listed = await vaultHttp(server.address, 'LIST', `auth/approle/role/${role(controller)}/secret-id`, { token: server.rootToken });
  return listed.body.data?.keys ?? [];
}

describe('credentials', () => {
  it('issues a working wrapped secret ID per controller, as JSON', async () => {
    const started = Date.now();
    const issued = await credentialsJson();
    expect(issued.controllers.map((record: any) => record.name)).toEqual(['region-1', 'region-2', 'region-3']);
    for (const record of issued.controllers) {
      expect(Object.keys(record).sort()).toEqual([
        'command',
        'configured',
        'expiresAt',
        'initCommand',
        'mount',
        'name',
        'role',
        'roleId',
        'secretIdAccessor',
        'secretsPath',
        'url',
        'wrapTtl',
        'wrappedToken',
      ]);
      expect(record.role).toBe(role(record.name));
      expect(record.wrapTtl).toBe('5m');
      expect(Date.parse(record.expiresAt) - started).toBeGreaterThan(290_000);
      expect(Date.parse(record.expiresAt) - started).toBeLessThan(310_000);
      expect(record.command).toBe(`sudo maas config-vault configure ${server.address} ${record.roleId} ${record.wrappedToken} maas --mount kv-cli`);
      const maas = await maasConfigure(server.address, { roleId: record.roleId, wrappedToken: record.wrappedToken, secretsPath: 'maas', mount: 'kv-cli' });
      expect(maas.policies.sort()).toEqual(['default', config.policy.name].sort());
      const lookup = await vaultHttp(server.address, 'POST', `auth/approle/role/${record.role}/secret-id-accessor/lookup`, {
        token: server.rootToken,
        body: { secret_id_accessor: record.secretIdAccessor },
      });
      expect(lookup.body.data.metadata).toMatchObject({ controller: record.name, site: 'cli' });
    }
  });

  it('honours --controller and --wrap-ttl', async () => {
    const issued = await credentialsJson(['--controller', 'region-2', '--wrap-ttl', '90s']);
    expect(issued.controllers).toHaveLength(1);
    const info = await vaultHttp(server.address, 'POST', 'sys/wrapping/lookup', { body: { token: issued.controllers[0].wrappedToken } });
    expect(info.body.data.creation_ttl).toBe(90);
    expect(info.body.data.creation_path).toBe(`auth/approle/role/${role('region-2')}/secret-id`);
  });

  it('--out writes the JSON with mode 0600; stdout names each controller and accessor, never a wrapping token', async () => {
    const out = join(site.dir, 'creds.json');
    const result = await site.cli(['credentials', '--out', out, '--quiet']);
    expect(result.exitCode).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const written = JSON.parse(readFileSync(out, 'utf8'));
    expect(written.controllers).toHaveLength(3);
    for (const record of written.controllers) {
      expect(result.all).not.toContain(record.wrappedToken);
      expect(result.stdout).toContain(`${record.name}: role ${record.role}, secret ID accessor ${record.secretIdAccessor}`);
    }
  });

  it('--revoke-previous leaves only the new secret ID', async () => {
    expect((await accessors('region-3')).length).toBeGreaterThan(0);
    const issued = await credentialsJson(['--controller', 'region-3', '--revoke-previous', '--auto-approve']);
    expect(await accessors('region-3')).toEqual([issued.controllers[0].secretIdAccessor]);
  });

  it.each([
    [['--wrap-ttl', '5 minutes'], '--wrap-ttl: "5 minutes" is not a duration: write a whole number with a unit, e.g. 30s, 5m, 1h30m, 7d'],
    [['--wrap-ttl', '48h'], '--wrap-ttl: "48h" is out of range: must be between 1s and 24h'],
    [['--controller', 'region-9'], '--controller "region-9": not in'],
  ])('rejects %j with exit 2 and issues nothing', async (args, message) => {
    const before = await accessors('region-1');
    const result = await site.cli(['credentials', ...args]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(message);
    expect(await accessors('region-1')).toEqual(before);
  });

  it('names the path and capability when the token lacks permission', async () => {
    const weak = await tokenWithPolicies('default');
    const result = await site.cli(['credentials', '--controller', 'region-1'], weak);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`permission denied: the token's policies do not grant`);
    expect(result.stderr).toMatch(new RegExp(`"(read|update)" on auth/approle/role/${role('region-1')}/(role-id|secret-id)`));
    expect(result.all).not.toContain(weak);
  });

  it('needs a Vault token', async () => {
    // A HOME without ~/.vault-token, the token's other source.
    const result = await site.cli(['credentials'], null, { HOME: site.dir });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('VAULT_TOKEN is not set');
  });
});

describe('verify-token', () => {
  it('accepts an unused token of the right controller, read from stdin, without unwrapping it', async () => {
    const token = (await credentialsJson(['--controller', 'region-1'])).controllers[0].wrappedToken;
    const result = await runCli(['verify-token', '-', '--controller', 'region-1', '--config', site.configPath], { input: `${token}\n` });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(`wrapping token OK: unused, issued for auth/approle/role/${role('region-1')}/secret-id`);
    expect(result.all).not.toContain(token);
    expect((await vaultHttp(server.address, 'POST', 'sys/wrapping/unwrap', { token })).status).toBe(200);
  });

  it("rejects another controller's token", async () => {
    const token = (await credentialsJson(['--controller', 'region-2'])).controllers[0].wrappedToken;
    const result = await runCli(['verify-token', '-', '--controller', 'region-1', '--config', site.configPath], { input: token });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain(
      `wrapping token rejected: it was issued by auth/approle/role/${role('region-2')}/secret-id, not auth/approle/role/${role('region-1')}/secret-id`,
    );
  });

  it('rejects a used token', async () => {
    const token = (await credentialsJson(['--controller', 'region-1'])).controllers[0].wrappedToken;
    await vaultHttp(server.address, 'POST', 'sys/wrapping/unwrap', { token });
    const result = await runCli(['verify-token', '-', '--controller', 'region-1', '--config', site.configPath], { input: token });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('the wrapping token is not valid (already used, expired, or never issued)');
    expect(result.all).not.toContain(token);
  });

  it('rejects an expired token', async () => {
    const token = (await credentialsJson(['--controller', 'region-1', '--wrap-ttl', '1s'])).controllers[0].wrappedToken;
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const result = await runCli(['verify-token', '-', '--controller', 'region-1', '--config', site.configPath], { input: token });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('the wrapping token is not valid');
  });
});

describe('verify', () => {
  it("runs MAAS's configure sequence per controller and destroys the throwaway secret IDs", async () => {
    const before = await accessors('region-1');
    const result = await site.cli(['verify']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout.split('\n').filter((line) => line.startsWith('OK '))).toHaveLength(3);
    expect(result.stdout).toContain(`policies default, ${config.policy.name}; token TTL 300s`);
    expect((await accessors('region-1')).sort()).toEqual(before.sort());
  });

  it('names the failing step when the policy no longer covers the secrets path', async () => {
    await vaultHttp(server.address, 'POST', `sys/policies/acl/${config.policy.name}`, {
      token: server.rootToken,
      body: { policy: 'path "kv-cli/data/elsewhere/*" { capabilities = ["read"] }' },
    });
    const result = await site.cli(['verify', '--controller', 'region-2']);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(
      /^FAILED {2}region-2: MAAS would fail to write a test secret: permission denied: the token's policies do not grant "update" on kv-cli\/data\/maas\/test-/m,
    );
    await site.setUp();
    expect((await site.cli(['verify', '--controller', 'region-2'])).exitCode).toBe(0);
  });

  it('says "no handler for route" in plain words when the KV mount has gone, and status flags it', async () => {
    expect((await vaultHttp(server.address, 'DELETE', 'sys/mounts/kv-cli', { token: server.rootToken })).status).toBe(204);
    try {
      const verify = await site.cli(['verify', '--controller', 'region-1']);
      expect(verify.exitCode).toBe(1);
      expect(verify.stdout).toMatch(
        /FAILED {2}region-1: MAAS would fail to write a test secret: no handler for route "kv-cli\/data\/maas\/test-[0-9a-f-]+": nothing is mounted there/,
      );
      const status = await site.cli(['status']);
      expect(status.exitCode).toBe(4);
      expect(status.stdout).toContain('not mounted: MAAS would fail with "no handler for route"');
    } finally {
      await site.setUp();
    }
    expect((await site.cli(['verify', '--controller', 'region-1'])).exitCode).toBe(0);
  });
});

describe('status', () => {
  it('a site made by hand from the docs, with the settings maas-vault would give, has no drift', async () => {
    const result = await site.cli(['status']);
    expect([result.exitCode, result.stdout]).toEqual([0, expect.stringContaining('Vault matches the config.')]);
    expect(result.stdout).toMatch(serverStatusLine());
  });

  it('lists each drift with its reason and exits 4', async () => {
    await vaultHttp(server.address, 'POST', `auth/approle/role/${role('region-2')}`, {
      token: server.rootToken,
      body: { token_ttl: '1h', secret_id_num_uses: 1 },
    });
    await vaultHttp(server.address, 'POST', 'kv-cli/config', { token: server.rootToken, body: { cas_required: true } });
    try {
      const result = await site.cli(['status']);
      expect(result.exitCode).toBe(4);
      expect(result.stdout).toContain(`DRIFT   role ${role('region-2')}`);
      expect(result.stdout).toContain('token_ttl is 3600, expected 300');
      expect(result.stdout).toContain('secret_id_num_uses is 1, expected 0: MAAS logs in with the same secret_id again and again');
      expect(result.stdout).toContain('cas_required is true: MAAS writes without check-and-set, so every write would fail');
    } finally {
      await vaultHttp(server.address, 'POST', 'kv-cli/config', { token: server.rootToken, body: { cas_required: false } });
      await site.setUp();
    }
    expect((await site.cli(['status'])).exitCode).toBe(0);
  });
});

describe('revoke', () => {
  it('destroys every secret ID of the controller; the others still verify', async () => {
    const issued = (await credentialsJson(['--controller', 'region-3'])).controllers[0];
    const maas = await maasConfigure(server.address, { roleId: issued.roleId, wrappedToken: issued.wrappedToken, secretsPath: 'maas', mount: 'kv-cli' });
    const others = await accessors('region-1');
    const result = await site.cli(['revoke', '--auto-approve', '--controller', 'region-3']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/region-3: destroyed \d+ secret IDs?/);
    const login = await vaultHttp(server.address, 'POST', 'auth/approle/login', { body: { role_id: issued.roleId, secret_id: maas.secretId } });
    expect(login.status).toBe(400);
    expect(await accessors('region-3')).toEqual([]);
    expect(await accessors('region-1')).toEqual(others);
    expect((await site.cli(['verify', '--controller', 'region-1', '--controller', 'region-2'])).exitCode).toBe(0);
    // Until the config says so, nothing may issue region-3 a credential; the admin marks it as told.
    expect(result.all).toContain('add "revoked": true to');
    expect((await site.cli(['credentials', '--json'])).exitCode).toBe(2);
    site.update((input) => ({ ...input, controllers: input.controllers.map((c: { name: string }) => (c.name === 'region-3' ? { ...c, revoked: true } : c)) }));
    const after = await site.cli(['credentials', '--json']);
    expect(after.exitCode).toBe(0);
    expect(JSON.parse(after.stdout).controllers.map((record: { name: string }) => record.name)).toEqual(['region-1', 'region-2']);
  });
});

describe('policy', () => {
  it('prints the MAAS policy the docs procedure wrote, as Vault holds it', async () => {
    const printed = await site.cli(['policy', 'maas'], null);
    expect(printed.exitCode).toBe(0);
    const held = await vaultHttp(server.address, 'GET', `sys/policies/acl/${config.policy.name}`, { token: server.rootToken });
    // runCli strips the final newline of stdout, as a shell's $(...) does.
    expect(printed.stdout).toBe(held.body.data.policy.replace(/\n$/, ''));
  });
});

describe('errors', () => {
  it('unreachable Vault: exit 3 with the address and cause', async () => {
    const result = await site.cli(['status'], server.rootToken, { VAULT_ADDR: 'http://127.0.0.1:9' });
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toMatch(/^maas-vault: Vault at http:\/\/127\.0\.0\.1:9 is unreachable \(.*ECONNREFUSED.*\)/m);
  });

  it('unknown command or option: exit 2 with usage hint', async () => {
    const result = await runCli(['aply']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('Did you mean apply?');
  });

  describe('a sealed Vault', () => {
    let sealed: OpenBaoServer;

    beforeAll(async () => {
      sealed = await startDevServer({ bao: serverBinary() });
      await vaultHttp(sealed.address, 'POST', 'sys/seal', { token: sealed.rootToken });
    });

    afterAll(async () => {
      await sealed?.stop();
    });

    it.each([['status'], ['credentials'], ['verify'], ['revoke', '--auto-approve', '--controller', 'region-1']])(
      '%s: exit 3 and how to unseal',
      async (...args) => {
        const result = await site.cli(args, sealed.rootToken, { VAULT_ADDR: sealed.address });
        expect(result.exitCode).toBe(3);
        expect(result.stderr).toContain(`Vault at ${sealed.address} is sealed: unseal it with \`${serverCliName()} operator unseal\``);
      },
    );
  });
});
