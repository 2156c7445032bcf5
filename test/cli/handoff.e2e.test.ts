/**
 * apply's hand-off for each region's state: both MAAS forms for a region still to configure;
 * nothing to run (not "token already used") for one that configured with the stack's token and
 * runs; no `migrate` once MAAS's global/ secrets are in Vault. Regions are played with MAAS's
 * call sequence; what is asserted is what Vault then holds.
 */
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { VaultClient } from '../../vault/client.js';
import { parseConfigureLine, parseInitRegionLine, runMaasHandOff } from '../../vault/maas-configure.js';
import { vaultHttp } from '../support/http.js';
import { TestSite } from '../support/site.js';
import { describeE2E } from '../support/tiers.js';
import { serverBinary } from '../support/matrix.js';

interface ApplyJson {
  controllers: {
    name: string;
    roleId: string;
    url: string;
    secretsPath: string;
    mount: string;
    configured: boolean | null;
    command: string;
    initCommand: string;
    wrappedTokenUsable: boolean;
  }[];
  migrated: boolean | null;
  migrateCommand: string | null;
}

describeE2E('apply hands off per region state (e2e: engine + provider)', () => {
  let server: OpenBaoServer;
  let site: TestSite;
  let client: VaultClient;

  beforeAll(async () => {
    server = await startDevServer({ bao: serverBinary() });
    site = new TestSite(server, { site: 'handapply', kv: { mount: 'kv-handapply' }, controllers: [{ name: 'region-1' }, { name: 'region-2' }] });
    client = new VaultClient({ address: server.address });
  });

  afterAll(async () => {
    await client?.close();
    await server?.stop();
  });

  const applyJson = async (): Promise<ApplyJson> => {
    const result = await site.cli(['apply', '--auto-approve', '--json']);
    expect([result.exitCode, result.exitCode === 0 ? '' : result.all]).toEqual([0, '']);
    return JSON.parse(result.stdout) as ApplyJson;
  };

  it('first apply: both forms per controller, url/secretsPath/mount apart in --json, migrate to run', async () => {
    const applied = await applyJson();
    expect(applied).toMatchObject({ migrated: false, migrateCommand: 'sudo maas config-vault migrate' });
    for (const controller of applied.controllers) {
      expect(controller).toMatchObject({ url: server.address, secretsPath: 'maas', mount: 'kv-handapply', configured: false, wrappedTokenUsable: true });
      expect(parseInitRegionLine(controller.initCommand)).toMatchObject({ roleId: controller.roleId, secretsPath: 'maas', mount: 'kv-handapply' });
    }
    const text = await site.apply();
    expect(text.stdout).toMatch(
      /^sudo maas init region --vault-uri \S+ --vault-approle-id \S+ --vault-wrapped-token \S+ --vault-secrets-path maas --vault-secrets-mount kv-handapply$/m,
    );
  });

  it('re-apply after region-1 configured with its stack token: "configured, nothing to run", not "token already used"; region-2 still gets both forms', async () => {
    const before = await applyJson();
    const one = before.controllers.find((controller) => controller.name === 'region-1')!;
    const region = await runMaasHandOff(client, parseConfigureLine(one.command));
    const text = await site.apply();
    expect(text.stdout).not.toContain('wrapping token already used or expired: run `maas-vault credentials --controller region-1`');
    expect(text.stdout).toContain('#   configured: its role has logged in to Vault, nothing to run.');
    expect(text.stdout.split('\n').filter((line) => line.startsWith('sudo maas config-vault configure'))).toHaveLength(1);
    const after = await applyJson();
    expect(after.controllers.map((controller) => [controller.name, controller.configured, controller.wrappedTokenUsable])).toEqual([
      ['region-1', true, false],
      ['region-2', false, true],
    ]);
    // The region runs on the secret ID it unwrapped: apply kept it.
    expect((await vaultHttp(server.address, 'POST', 'auth/approle/login', { body: { role_id: region.roleId, secret_id: region.secretId } })).status).toBe(200);
  });

  it('once MAAS migrated, apply prints no migrate command (text and --json)', async () => {
    const region2 = (await applyJson()).controllers.find((controller) => controller.name === 'region-2')!;
    const region = await runMaasHandOff(client, parseInitRegionLine(region2.initCommand));
    const login = await vaultHttp(server.address, 'POST', 'auth/approle/login', { body: { role_id: region.roleId, secret_id: region.secretId } });
    // What `config-vault migrate` writes, with the region's own token.
    expect(
      (
        await vaultHttp(server.address, 'POST', 'kv-handapply/data/maas/global/rpc-shared', {
          token: login.body.auth.client_token,
          body: { data: { secret: 's' } },
        })
      ).status,
    ).toBe(200);
    expect(await applyJson()).toMatchObject({ migrated: true, migrateCommand: null });
    const text = await site.apply();
    expect(text.stdout).not.toMatch(/^sudo maas config-vault migrate$/m);
    expect(text.stdout).toContain('MAAS has already migrated its secrets to Vault (global/ under kv-handapply/maas)');
  });
});
