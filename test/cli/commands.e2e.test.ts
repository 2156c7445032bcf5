/**
 * The commands that run the engine (synth, apply, plan, status after apply, output, destroy) on a
 * stack-made site; the commands that talk to Vault directly are in commands.openbao.test.ts.
 */
import { roleName } from '../../config/index.js';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { runCli } from '../support/cli.js';
import { vaultHttp } from '../support/http.js';
import { TestSite } from '../support/site.js';
import { describeE2E } from '../support/tiers.js';
import { serverBinary, serverStatusLine, serverCliName } from '../support/matrix.js';

describeE2E('commands (e2e: engine + provider)', () => {
  let server: OpenBaoServer;
  let site: TestSite;

  beforeAll(async () => {
    server = await startDevServer({ bao: serverBinary() });
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

  describe('a KV mount that disappeared', () => {
    it('verify says "no handler for route" in plain words, status flags it, apply brings it back', async () => {
      expect((await vaultHttp(server.address, 'DELETE', 'sys/mounts/kv-cli', { token: server.rootToken })).status).toBe(204);
      const verify = await site.cli(['verify', '--controller', 'region-1']);
      expect(verify.exitCode).toBe(1);
      expect(verify.stdout).toMatch(
        /FAILED {2}region-1: MAAS would fail to write a test secret: no handler for route "kv-cli\/data\/maas\/test-[0-9a-f-]+": nothing is mounted there/,
      );
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
      expect(result.stdout).toMatch(serverStatusLine());
      expect(result.stdout).toContain('Vault matches the config.');
    });

    it('lists drift and exits 4, and apply converges it', async () => {
      await vaultHttp(server.address, 'POST', `auth/approle/role/${roleName({ site: 'cli' }, 'region-2')}`, {
        token: server.rootToken,
        body: { token_ttl: '1h', secret_id_num_uses: 1 },
      });
      await vaultHttp(server.address, 'POST', 'kv-cli/config', { token: server.rootToken, body: { cas_required: true } });
      const result = await site.cli(['status']);
      expect(result.exitCode).toBe(4);
      expect(result.stdout).toContain(`DRIFT   role ${roleName({ site: 'cli' }, 'region-2')}`);
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
      expect(result.stdout).toMatch(
        new RegExp(`^region-1: role ${roleName({ site: 'cli' }, 'region-1')}, role ID [0-9a-f-]{36}, secret-ID accessor [0-9a-f-]{36}$`, 'm'),
      );
      // region-1's token was unwrapped above (apply): output flags it, as apply does, instead of printing it.
      expect(result.stdout.split('\n').filter((line) => line.startsWith('sudo maas config-vault configure'))).toHaveLength(2);
      expect(result.stdout).toContain('#   wrapping token already used or expired: run `maas-vault credentials --controller region-1` for a fresh one');
    });
  });

  describe('errors', () => {
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

    it("a token without permission makes apply fail with exit 1 and the provider's permission error", async () => {
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

    it.each([['apply', '--auto-approve'], ['plan'], ['destroy', '--auto-approve']])('%s: exit 3 and how to unseal', async (...args) => {
      const result = await site.cli(args, sealed.rootToken, { VAULT_ADDR: sealed.address });
      expect(result.exitCode).toBe(3);
      expect(result.stderr).toContain(`Vault at ${sealed.address} is sealed: unseal it with \`${serverCliName()} operator unseal\``);
    });
  });

  describe('destroy', () => {
    it('refuses without --auto-approve off a terminal, then warns and destroys', async () => {
      const refused = await site.cli(['destroy']);
      expect(refused.exitCode).toBe(2);
      const result = await site.cli(['destroy', '--auto-approve']);
      expect(result.exitCode).toBe(0);
      expect(result.stderr).toContain('If MAAS was migrated to this Vault (`maas config-vault migrate`), MAAS loses its secrets.');
      expect((await vaultHttp(server.address, 'GET', `auth/approle/role/${roleName({ site: 'cli' }, 'region-1')}`, { token: server.rootToken })).status).toBe(
        404,
      );
      expect(existsSync(join(site.dir, '.maas-vault/cli/terraform.tfstate'))).toBe(true);
    });
  });
});
