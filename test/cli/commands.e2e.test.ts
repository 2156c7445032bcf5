/** Every CLI command against a real OpenBao dev server, error paths included. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readToolchain } from '../../toolchain/index.js';
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { runCli } from '../support/cli.js';
import { maasConfigure, vaultHttp } from '../support/http.js';
import { TestSite } from '../support/site.js';
import { describeE2E } from '../support/tiers.js';

describeE2E('commands (e2e: engine + provider)', () => {
  let server: OpenBaoServer;
  let site: TestSite;

  beforeAll(async () => {
    server = await startDevServer({ bao: readToolchain().bao.path });
    site = new TestSite(server, {
      site: 'cli',
      kv: { mount: 'kv-cli' },
      secretsPath: 'maas',
      controllers: [{ name: 'region-1' }, { name: 'region-2' }, { name: 'region-3' }],
    });
    await site.apply();
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
    expect(result.exitCode).toBe(0);
    return JSON.parse(result.stdout);
  }

  describe('synth', () => {
    it('writes the Terraform JSON without touching Vault', async () => {
      const result = await runCli(['synth', '--config', site.configPath]);
      expect(result.exitCode).toBe(0);
      const path = result.stdout.trim();
      expect(path).toBe(join(site.dir, '.maas-vault/cli/cdktf.out/stacks/maas-vault-cli/cdk.tf.json'));
      const json = JSON.parse(readFileSync(path, 'utf8'));
      expect(Object.keys(json.resource.vault_approle_auth_backend_role)).toHaveLength(3);
      // The work directory keeps itself out of git and out of other users' reach.
      expect(readFileSync(join(site.dir, '.maas-vault/cli/.gitignore'), 'utf8')).toMatch(/^\*$/m);
      expect(statSync(join(site.dir, '.maas-vault/cli')).mode & 0o777).toBe(0o700);
    });
  });

  describe('apply', () => {
    it('prints one configure command per controller, then the migrate command', async () => {
      site.update((input) => ({ ...input, generation: 5 }));
      const result = await site.apply();
      const commands = result.stdout.split('\n').filter((line) => line.startsWith('sudo maas config-vault configure'));
      expect(commands).toHaveLength(3);
      for (const command of commands) {
        expect(command).toMatch(new RegExp(`^sudo maas config-vault configure ${server.address} [0-9a-f-]{36} \\S+ maas --mount kv-cli$`));
      }
      const lines = result.stdout.trim().split('\n');
      expect(lines.at(-1)).toBe('sudo maas config-vault migrate');
      expect(result.stdout.indexOf('config-vault migrate')).toBeGreaterThan(result.stdout.lastIndexOf('config-vault configure'));
    });

    it('says when a printed token was already used instead of printing a dead command', async () => {
      const outputs = await site.outputs();
      await vaultHttp(server.address, 'POST', 'sys/wrapping/unwrap', { token: outputs.get('region-1')!.wrappedToken });
      const result = await site.apply();
      expect(result.stdout).toContain('wrapping token already used or expired: run `maas-vault credentials --controller region-1` for a fresh one');
      expect(result.stdout).not.toContain(outputs.get('region-1')!.wrappedToken);
      expect(result.stdout).toContain(outputs.get('region-2')!.wrappedToken);
    });

    it('refuses to apply without --auto-approve when there is no terminal', async () => {
      const result = await site.cli(['apply']);
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toContain('apply changes Vault and there is no terminal to confirm on: pass --auto-approve');
    });
  });

  describe('credentials', () => {
    it('issues a working wrapped secret ID per controller, as JSON', async () => {
      const started = Date.now();
      const issued = await credentialsJson();
      expect(issued.controllers.map((record: any) => record.name)).toEqual(['region-1', 'region-2', 'region-3']);
      for (const record of issued.controllers) {
        expect(Object.keys(record).sort()).toEqual(['command', 'expiresAt', 'name', 'role', 'roleId', 'secretIdAccessor', 'wrapTtl', 'wrappedToken']);
        expect(record.role).toBe(`maas-cli-${record.name}`);
        expect(record.wrapTtl).toBe('5m');
        expect(Date.parse(record.expiresAt) - started).toBeGreaterThan(290_000);
        expect(Date.parse(record.expiresAt) - started).toBeLessThan(310_000);
        expect(record.command).toBe(`sudo maas config-vault configure ${server.address} ${record.roleId} ${record.wrappedToken} maas --mount kv-cli`);
        await maasConfigure(server.address, { roleId: record.roleId, wrappedToken: record.wrappedToken, secretsPath: 'maas', mount: 'kv-cli' });
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
      expect(info.body.data.creation_path).toBe('auth/approle/role/maas-cli-region-2/secret-id');
    });

    it('--out writes the same JSON with mode 0600', async () => {
      const out = join(site.dir, 'creds.json');
      const result = await site.cli(['credentials', '--out', out, '--quiet']);
      expect(result.exitCode).toBe(0);
      expect(statSync(out).mode & 0o777).toBe(0o600);
      const written = JSON.parse(readFileSync(out, 'utf8'));
      expect(written.controllers).toHaveLength(3);
      for (const record of written.controllers) expect(result.stdout).toContain(record.command);
    });

    it('--revoke-previous leaves only the new secret ID', async () => {
      const issued = await credentialsJson(['--controller', 'region-3', '--revoke-previous']);
      const listed = await vaultHttp(server.address, 'LIST', 'auth/approle/role/maas-cli-region-3/secret-id', { token: server.rootToken });
      expect(listed.body.data.keys).toEqual([issued.controllers[0].secretIdAccessor]);
    });

    it.each([
      [['--wrap-ttl', '5 minutes'], '--wrap-ttl: "5 minutes" is not a duration: write a whole number with a unit, e.g. 30s, 5m, 1h30m, 7d'],
      [['--wrap-ttl', '48h'], '--wrap-ttl: "48h" is out of range: must be between 1s and 24h'],
      [['--controller', 'region-9'], '--controller "region-9": not in'],
    ])('rejects %j with exit 2', async (args, message) => {
      const result = await site.cli(['credentials', ...args]);
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toContain(message);
    });

    it('names the path and capability when the token lacks permission', async () => {
      const weak = await tokenWithPolicies('default');
      const result = await site.cli(['credentials', '--controller', 'region-1'], weak);
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toMatch(/permission denied: the token's policies do not grant "(read|update)" on auth\/approle\/role\/maas-cli-region-1\/(role-id|secret-id)/);
      expect(result.stderr).not.toContain(weak);
    });

    it('needs VAULT_TOKEN', async () => {
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
      expect(result.stdout).toContain('wrapping token OK: unused, issued for auth/approle/role/maas-cli-region-1/secret-id');
      expect(result.stdout).not.toContain(token);
      expect((await vaultHttp(server.address, 'POST', 'sys/wrapping/unwrap', { token })).status).toBe(200);
    });

    it("rejects another controller's token", async () => {
      const token = (await credentialsJson(['--controller', 'region-2'])).controllers[0].wrappedToken;
      const result = await runCli(['verify-token', token, '--controller', 'region-1', '--config', site.configPath]);
      expect(result.exitCode).toBe(1);
      expect(result.stdout).toContain('wrapping token rejected: it was issued by auth/approle/role/maas-cli-region-2/secret-id, not auth/approle/role/maas-cli-region-1/secret-id');
    });

    it('rejects a used token', async () => {
      const token = (await credentialsJson(['--controller', 'region-1'])).controllers[0].wrappedToken;
      await vaultHttp(server.address, 'POST', 'sys/wrapping/unwrap', { token });
      const result = await runCli(['verify-token', token, '--controller', 'region-1', '--config', site.configPath]);
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toContain('the wrapping token is not valid (already used, expired, or never issued)');
      expect(result.stderr).not.toContain(token);
    });

    it('rejects an expired token', async () => {
      const token = (await credentialsJson(['--controller', 'region-1', '--wrap-ttl', '1s'])).controllers[0].wrappedToken;
      await new Promise((resolve) => setTimeout(resolve, 2500));
      const result = await runCli(['verify-token', token, '--controller', 'region-1', '--config', site.configPath]);
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toContain('the wrapping token is not valid');
    });
  });

  describe('verify', () => {
    it("runs MAAS's configure sequence per controller and destroys the throwaway secret IDs", async () => {
      const before = await vaultHttp(server.address, 'LIST', 'auth/approle/role/maas-cli-region-1/secret-id', { token: server.rootToken });
      const result = await site.cli(['verify']);
      expect(result.exitCode).toBe(0);
      expect(result.stdout.split('\n').filter((line) => line.startsWith('OK '))).toHaveLength(3);
      expect(result.stdout).toContain('policies default, maas-cli; token TTL 300s');
      const after = await vaultHttp(server.address, 'LIST', 'auth/approle/role/maas-cli-region-1/secret-id', { token: server.rootToken });
      expect(after.body.data.keys.sort()).toEqual(before.body.data.keys.sort());
    });

    it('names the failing step when the policy no longer covers the secrets path', async () => {
      await vaultHttp(server.address, 'POST', 'sys/policies/acl/maas-cli', { token: server.rootToken, body: { policy: 'path "kv-cli/data/elsewhere/*" { capabilities = ["read"] }' } });
      const result = await site.cli(['verify', '--controller', 'region-2']);
      expect(result.exitCode).toBe(1);
      expect(result.stdout).toMatch(/^FAILED {2}region-2: MAAS would fail to write a test secret: permission denied: the token's policies do not grant "update" on kv-cli\/data\/maas\/test-/m);
      await site.apply();
      expect((await site.cli(['verify', '--controller', 'region-2'])).exitCode).toBe(0);
    });
  });

  describe('a KV mount that disappeared', () => {
    it('verify says "no handler for route" in plain words, status flags it, apply brings it back', async () => {
      expect((await vaultHttp(server.address, 'DELETE', 'sys/mounts/kv-cli', { token: server.rootToken })).status).toBe(204);
      const verify = await site.cli(['verify', '--controller', 'region-1']);
      expect(verify.exitCode).toBe(1);
      expect(verify.stdout).toMatch(/FAILED {2}region-1: MAAS would fail to write a test secret: no handler for route "kv-cli\/data\/maas\/test-[0-9a-f-]+": nothing is mounted there/);
      const status = await site.cli(['status']);
      expect(status.exitCode).toBe(4);
      expect(status.stdout).toContain('not mounted: MAAS would fail with "no handler for route"');
      await site.apply();
      expect((await site.cli(['verify', '--controller', 'region-1'])).exitCode).toBe(0);
    });
  });

  describe('status', () => {
    it('reports the server and no drift after apply', async () => {
      const result = await site.cli(['status']);
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toMatch(/^OpenBao 2\.\d+\.\d+ at http:\/\/127\.0\.0\.1:\d+: unsealed$/m);
      expect(result.stdout).toContain('Vault matches the config.');
    });

    it('lists drift and exits 4, and apply converges it', async () => {
      await vaultHttp(server.address, 'POST', 'auth/approle/role/maas-cli-region-2', { token: server.rootToken, body: { token_ttl: '1h', secret_id_num_uses: 1 } });
      await vaultHttp(server.address, 'POST', 'kv-cli/config', { token: server.rootToken, body: { cas_required: true } });
      const result = await site.cli(['status']);
      expect(result.exitCode).toBe(4);
      expect(result.stdout).toContain('DRIFT   role maas-cli-region-2');
      expect(result.stdout).toContain('token_ttl is 3600, expected 300');
      expect(result.stdout).toContain('secret_id_num_uses is 1, expected 0: MAAS logs in with the same secret_id again and again');
      expect(result.stdout).toContain('cas_required is true: MAAS writes without check-and-set, so every write would fail');
      await site.apply();
      expect((await site.cli(['status'])).exitCode).toBe(0);
    });
  });

  describe('output', () => {
    it('prints role IDs, accessors and commands from state, without a Vault token', async () => {
      const result = await site.cli(['output'], null);
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toMatch(/^region-1: role maas-cli-region-1, role ID [0-9a-f-]{36}, secret-ID accessor [0-9a-f-]{36}$/m);
      // region-1's token was unwrapped above: output flags it, as apply does, instead of printing it.
      expect(result.stdout.split('\n').filter((line) => line.startsWith('sudo maas config-vault configure'))).toHaveLength(2);
      expect(result.stdout).toContain('#   wrapping token already used or expired: run `maas-vault credentials --controller region-1` for a fresh one');
    });
  });

  describe('revoke', () => {
    it('destroys every secret ID of the controller; others still verify', async () => {
      const issued = (await credentialsJson(['--controller', 'region-3'])).controllers[0];
      const maas = await maasConfigure(server.address, { roleId: issued.roleId, wrappedToken: issued.wrappedToken, secretsPath: 'maas', mount: 'kv-cli' });
      const result = await site.cli(['revoke', '--controller', 'region-3']);
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toMatch(/region-3: destroyed \d+ secret IDs?; it cannot log in again/);
      const login = await vaultHttp(server.address, 'POST', 'auth/approle/login', { body: { role_id: issued.roleId, secret_id: maas.secretId } });
      expect(login.status).toBe(400);
      expect((await site.cli(['verify', '--controller', 'region-1', '--controller', 'region-2'])).exitCode).toBe(0);
      await site.apply();
    });
  });

  describe('errors', () => {
    it('unreachable Vault: exit 3 with the address and cause', async () => {
      const result = await site.cli(['status'], server.rootToken, { VAULT_ADDR: 'http://127.0.0.1:9' });
      expect(result.exitCode).toBe(3);
      expect(result.stderr).toMatch(/^maas-vault: Vault at http:\/\/127\.0\.0\.1:9 is unreachable \(.*ECONNREFUSED.*\): check VAULT_ADDR/m);
    });

    it('bad config: exit 2 naming the field, before any Vault call', async () => {
      site.update((input) => ({ ...input, tokenTtl: '5 minutes' }));
      try {
        const result = await site.cli(['apply', '--auto-approve'], server.rootToken, { VAULT_ADDR: 'http://127.0.0.1:9' });
        expect(result.exitCode).toBe(2);
        expect(result.stderr).toContain('tokenTtl: "5 minutes" is not a duration');
      } finally {
        site.update((input) => ({ ...input, tokenTtl: '5m' }));
      }
    });

    it('unknown command or option: exit 2 with usage hint', async () => {
      const result = await runCli(['aply']);
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toContain('Did you mean apply?');
    });

    it('a token without permission makes apply fail with exit 1 and the provider\'s permission error', async () => {
      const weak = await tokenWithPolicies('default');
      site.update((input) => ({ ...input, generation: 99 }));
      try {
        const result = await site.cli(['apply', '--auto-approve'], weak);
        expect(result.exitCode).toBe(1);
        expect(result.stderr).toMatch(/permission denied/i);
        expect(result.all).not.toContain(weak);
      } finally {
        site.update((input) => ({ ...input, generation: 5 }));
      }
    });

    it('every command has --help with an example', async () => {
      for (const command of ['synth', 'plan', 'apply', 'destroy', 'output', 'credentials', 'verify-token', 'verify', 'status', 'revoke', 'policy', 'dev']) {
        const result = await runCli([command, '--help']);
        expect(result.exitCode).toBe(0);
        expect(result.stdout).toContain('Examples:');
      }
    });
  });

  describe('a sealed Vault', () => {
    let sealed: OpenBaoServer;

    beforeAll(async () => {
      sealed = await startDevServer({ bao: readToolchain().bao.path });
      await vaultHttp(sealed.address, 'POST', 'sys/seal', { token: sealed.rootToken });
    });

    afterAll(async () => {
      await sealed?.stop();
    });

    it.each([['status'], ['credentials'], ['verify'], ['apply', '--auto-approve'], ['plan']])('%s: exit 3 and how to unseal', async (...args) => {
      const result = await site.cli(args, sealed.rootToken, { VAULT_ADDR: sealed.address });
      expect(result.exitCode).toBe(3);
      expect(result.stderr).toContain(`Vault at ${sealed.address} is sealed: unseal it with \`vault operator unseal\``);
    });
  });

  describe('destroy', () => {
    it('refuses without --auto-approve off a terminal, then warns and destroys', async () => {
      const refused = await site.cli(['destroy']);
      expect(refused.exitCode).toBe(2);
      const result = await site.cli(['destroy', '--auto-approve']);
      expect(result.exitCode).toBe(0);
      expect(result.stderr).toContain('If MAAS was migrated to this Vault (`maas config-vault migrate`), MAAS loses its secrets.');
      expect((await vaultHttp(server.address, 'GET', 'auth/approle/role/maas-cli-region-1', { token: server.rootToken })).status).toBe(404);
      expect(existsSync(join(site.dir, '.maas-vault/cli/terraform.tfstate'))).toBe(true);
    });
  });
});
