/**
 * Both hand-off forms through MAAS's call sequence, on a site set up as the MAAS docs do: the
 * `config-vault configure` line for a running region, the `maas init region --vault-*` line for
 * one installed after migrate; `--yes` once a controller's role has logged in; no `migrate` once
 * MAAS's global/ secrets are in Vault. What is asserted is what the printed line does in Vault.
 */
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { roleName, validateConfig, type MaasVaultConfig } from '../../config/index.js';
import { issuerPolicyFor, maasPolicyFor, renderAdminPolicy } from '../../policies/render.js';
import { VaultClient } from '../../vault/client.js';
import { parseConfigureLine, parseInitRegionLine, runMaasHandOff, type MaasVaultSettings } from '../../vault/maas-configure.js';
import { vaultHttp } from '../support/http.js';
import { TestSite } from '../support/site.js';
import { serverBinary } from '../support/matrix.js';

interface HandedOff {
  name: string;
  roleId: string;
  url: string;
  secretsPath: string;
  mount: string;
  configured: boolean | null;
  command: string;
  initCommand: string;
}

interface CredentialsJson {
  controllers: HandedOff[];
  migrated: boolean | null;
  migrateCommand: string | null;
}

let server: OpenBaoServer;
let site: TestSite;
let client: VaultClient;
let admin: string;

const configOf = (): MaasVaultConfig => validateConfig({ vault: { address: server.address }, ...site.config }, { env: {}, source: 'test' });

async function root(method: string, path: string, body?: unknown) {
  const answer = await vaultHttp(server.address, method, path, { token: server.rootToken, body });
  if (answer.status >= 300) throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer;
}

beforeAll(async () => {
  server = await startDevServer({ bao: serverBinary() });
  site = new TestSite(server, {
    site: 'handoff',
    kv: { mount: 'kv-handoff' },
    secretsPath: 'maas-h',
    controllers: [{ name: 'region-1' }, { name: 'region-2' }],
  });
  const config = configOf();
  await root('POST', 'sys/auth/approle', { type: 'approle' });
  await root('POST', `sys/mounts/${config.kv.mount}`, { type: 'kv', options: { version: '2' } });
  await root('POST', `sys/policies/acl/${config.policy.name}`, { policy: maasPolicyFor(config) });
  for (const controller of config.controllers) {
    await root('POST', `auth/approle/role/${roleName(config, controller.name)}`, { token_policies: [config.policy.name], token_ttl: 300 });
  }
  await root('POST', 'sys/policies/acl/maas-admin-handoff', { policy: renderAdminPolicy(config) });
  admin = (await root('POST', 'auth/token/create', { policies: ['maas-admin-handoff'], ttl: '10m' })).body.auth.client_token;
  client = new VaultClient({ address: server.address });
});

afterAll(async () => {
  await client?.close();
  await server?.stop();
});

async function credentials(token: string = admin, args: string[] = []): Promise<CredentialsJson> {
  const result = await site.cli(['credentials', '--json', ...args], token);
  expect([result.exitCode, result.exitCode === 0 ? '' : result.all]).toEqual([0, '']);
  return JSON.parse(result.stdout) as CredentialsJson;
}

/** What a region does for ever after: log in with what it stored and use MAAS's paths. */
async function regionWorks(settings: MaasVaultSettings): Promise<void> {
  const login = await vaultHttp(settings.url, 'POST', 'auth/approle/login', { body: { role_id: settings.roleId, secret_id: settings.secretId } });
  expect(login.status).toBe(200);
  const token = login.body.auth.client_token as string;
  const key = `${settings.mount}/data/${settings.secretsPath}/global/handoff-check`;
  expect((await vaultHttp(settings.url, 'POST', key, { token, body: { data: { secret: 'x' } } })).status).toBe(200);
  expect((await vaultHttp(settings.url, 'DELETE', `${settings.mount}/metadata/${settings.secretsPath}/global/handoff-check`, { token })).status).toBe(204);
}

describe('credentials hand off both MAAS forms', () => {
  it('--json: url, secretsPath and mount apart, both command forms, nothing configured yet, migrate still to run', async () => {
    const issued = await credentials();
    expect(issued.migrated).toBe(false);
    expect(issued.migrateCommand).toBe('sudo maas config-vault migrate');
    for (const controller of issued.controllers) {
      expect(controller).toMatchObject({ url: server.address, secretsPath: 'maas-h', mount: 'kv-handoff', configured: false });
      expect(controller.command).not.toContain('--yes');
      expect(parseConfigureLine(controller.command)).toMatchObject({
        url: server.address,
        roleId: controller.roleId,
        secretsPath: 'maas-h',
        mount: 'kv-handoff',
        yes: false,
      });
      expect(parseInitRegionLine(controller.initCommand)).toMatchObject({
        url: server.address,
        roleId: controller.roleId,
        secretsPath: 'maas-h',
        mount: 'kv-handoff',
      });
    }
  });

  it('the configure line configures a running region, the init line installs one: each logs in with what MAAS stored', async () => {
    const issued = await credentials();
    const [one, two] = issued.controllers;
    const configured = await runMaasHandOff(client, parseConfigureLine(one.command));
    const installed = await runMaasHandOff(client, parseInitRegionLine(two.initCommand));
    await regionWorks(configured);
    await regionWorks(installed);
    // One token each, and it is spent: the other form of the same controller cannot be used too.
    await expect(runMaasHandOff(client, parseInitRegionLine(one.initCommand))).rejects.toThrow('MAAS would fail to unwrap');
  });

  it('once a role has logged in, its configure line carries --yes (text and --json)', async () => {
    const issued = await credentials();
    expect(issued.controllers.map((controller) => controller.configured)).toEqual([true, true]);
    for (const controller of issued.controllers) {
      expect(controller.command).toMatch(/ --mount kv-handoff --yes$/);
      expect(parseConfigureLine(controller.command).yes).toBe(true);
    }
    await regionWorks(await runMaasHandOff(client, parseConfigureLine(issued.controllers[0].command)));
    const text = await site.cli(['credentials', '--controller', 'region-2'], admin);
    expect(text.stdout).toMatch(/^sudo maas config-vault configure \S+ \S+ \S+ maas-h --mount kv-handoff --yes$/m);
    expect(text.stdout).toContain(
      "#   its role has logged in before, hence --yes (MAAS overwrites the region's Vault settings without asking); then sudo snap restart maas or sudo systemctl restart maas-regiond",
    );
    expect(text.stdout).toMatch(
      /^sudo maas init region --vault-uri \S+ --vault-approle-id \S+ --vault-wrapped-token \S+ --vault-secrets-path maas-h --vault-secrets-mount kv-handoff$/m,
    );
  });

  it('once MAAS migrated (its global/ secrets in Vault), no migrate line; before, there was one', async () => {
    const before = await site.cli(['credentials', '--controller', 'region-1'], admin);
    expect(before.stdout).toMatch(/^sudo maas config-vault migrate$/m);
    // What `config-vault migrate` writes, with a region's own token (MAAS's policy allows it).
    const issued = await credentials(admin, ['--controller', 'region-1']);
    const region = await runMaasHandOff(client, parseConfigureLine(issued.controllers[0].command));
    const login = await vaultHttp(server.address, 'POST', 'auth/approle/login', { body: { role_id: region.roleId, secret_id: region.secretId } });
    const written = await vaultHttp(server.address, 'POST', 'kv-handoff/data/maas-h/global/omapi-key', {
      token: login.body.auth.client_token,
      body: { data: { secret: 'k' } },
    });
    expect(written.status).toBe(200);

    const after = await credentials();
    expect(after).toMatchObject({ migrated: true, migrateCommand: null });
    const text = await site.cli(['credentials', '--controller', 'region-1'], admin);
    expect(text.stdout).not.toMatch(/^sudo maas config-vault migrate$/m);
    expect(text.stdout).toContain('MAAS has already migrated its secrets to Vault (global/ under kv-handoff/maas-h)');
  });

  it('with the issuer policy (no lookups granted), it says it cannot tell, and prints both lines without --yes', async () => {
    const config = configOf();
    await root('POST', 'sys/policies/acl/handoff-issuer', { policy: issuerPolicyFor(config) });
    const issuer = (await root('POST', 'auth/token/create', { policies: ['handoff-issuer'], ttl: '10m' })).body.auth.client_token;
    const issued = await credentials(issuer);
    expect(issued).toMatchObject({ migrated: null, migrateCommand: 'sudo maas config-vault migrate' });
    expect(issued.controllers.map((controller) => controller.configured)).toEqual([null, null]);
    const text = await site.cli(['credentials'], issuer);
    expect(text.stdout).toContain('Vault would not say which regions are already configured: add --yes to the configure command of one that is.');
    expect(text.stdout).toContain('Unless MAAS has migrated already (`sudo maas config-vault status` says enabled');
  });
});
