/**
 * plan and apply on a machine without terraform-provider-vault: the message `npm run demo` gives
 * (the mirror variable, the paths), exit 2, not the engine's `init` error; nothing is created.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { vaultHttp } from '../support/http.js';
import { TestSite } from '../support/site.js';
import { describeE2E } from '../support/tiers.js';
import { serverBinary } from '../support/matrix.js';

describeE2E('no provider on the machine (e2e: engine)', () => {
  let server: OpenBaoServer;
  let home: string;
  let mirror: string;
  let cliConfig: string;

  beforeAll(async () => {
    server = await startDevServer({ bao: serverBinary() });
    const dir = mkdtempSync(join(tmpdir(), 'maas-vault-no-provider-'));
    home = mkdtempSync(join(dir, 'home-'));
    mirror = mkdtempSync(join(dir, 'mirror-'));
    // A mirror-only engine config: no registry is ever asked.
    cliConfig = join(dir, 'terraformrc');
    writeFileSync(cliConfig, `provider_installation {\n  filesystem_mirror {\n    path = "${mirror}"\n  }\n}\n`);
  });

  afterAll(async () => {
    await server?.stop();
  });

  it.each([['plan'], ['apply', '--auto-approve']])('%s with an empty MAAS_VAULT_PROVIDER_MIRROR names the variable, the paths, exit 2', async (...args) => {
    const site = new TestSite(server, { site: `np${args[0]}`, kv: { mount: `kv-np${args[0]}` }, controllers: [{ name: 'region-1' }] });
    const result = await site.cli(args, server.rootToken, {
      HOME: home,
      MAAS_VAULT_PROVIDER_MIRROR: mirror,
      TF_CLI_CONFIG_FILE: cliConfig,
      XDG_DATA_HOME: join(home, 'data'),
      XDG_DATA_DIRS: join(home, 'none'),
    });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(
      `maas-vault: terraform-provider-vault 5.6.0 is missing: MAAS_VAULT_PROVIDER_MIRROR=${mirror} holds no terraform-provider-vault_v5.6.0 for`,
    );
    expect(result.stderr).toContain(`expected ${mirror}/registry.opentofu.org/hashicorp/vault/5.6.0/`);
    expect(result.stderr).toContain('export MAAS_VAULT_PROVIDER_MIRROR=<dir>');
    expect(result.stderr).toContain(join(home, '.terraform.d/plugins/registry.terraform.io/hashicorp/vault/5.6.0/'));
    expect(result.stderr).not.toMatch(/Failed to query available provider packages|init failed/);
    expect((await vaultHttp(server.address, 'GET', 'sys/auth', { token: server.rootToken })).body.data['approle/']).toBeUndefined();
  });

  it('plan with only a mirror-only engine config says where the engine looked', async () => {
    const site = new TestSite(server, { site: 'npcfg', kv: { mount: 'kv-npcfg' }, controllers: [{ name: 'region-1' }] });
    const result = await site.cli(['plan'], server.rootToken, {
      HOME: home,
      MAAS_VAULT_PROVIDER_MIRROR: undefined,
      TF_CLI_CONFIG_FILE: cliConfig,
      XDG_DATA_HOME: join(home, 'data'),
      XDG_DATA_DIRS: join(home, 'none'),
    });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`maas-vault: terraform-provider-vault 5.6.0 is missing: the engine looked in ${mirror} only. To supply it,`);
    expect(result.stderr).toContain('export MAAS_VAULT_PROVIDER_MIRROR=<dir>');
    expect(result.stderr).not.toMatch(/Failed to query available provider packages|init failed/);
  });
});
