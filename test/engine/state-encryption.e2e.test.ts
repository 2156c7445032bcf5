/**
 * state.encryption with an engine that cannot encrypt (Terraform): refused before the engine runs,
 * with nothing sent to Vault and no state written. (OpenTofu's own encryption needs `tofu`.)
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { vaultHttp } from '../support/http.js';
import { TestSite } from '../support/site.js';
import { describeE2E } from '../support/tiers.js';
import { roleName, validateConfig } from '../../config/index.js';
import { serverBinary } from '../support/matrix.js';

describeE2E('state encryption with Terraform (e2e: engine + provider)', () => {
  let server: OpenBaoServer;
  beforeAll(async () => {
    server = await startDevServer({ bao: serverBinary() });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('is refused up front with exit 2, saying only OpenTofu encrypts state; Vault and the work directory stay untouched', async () => {
    const site = new TestSite(server, {
      site: 'encterraform',
      kv: { mount: 'kv-enc' },
      controllers: [{ name: 'region-1' }],
      state: { encryption: { passphraseEnv: 'MAAS_STATE_PASSPHRASE' } },
    });
    const env = { MAAS_VAULT_ENGINE: 'terraform', MAAS_STATE_PASSPHRASE: 'a-long-enough-passphrase-1234' };
    for (const command of [['apply', '--auto-approve'], ['plan']]) {
      const result = await site.cli(command, server.rootToken, env);
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toMatch(
        /state\.encryption: only OpenTofu 1\.7 or later encrypts state, and the engine is terraform \d+\.\d+\.\d+, which would write it in clear: use --engine tofu/,
      );
      expect(result.all).not.toContain(env.MAAS_STATE_PASSPHRASE);
    }
    const config = validateConfig({ vault: { address: server.address }, ...site.config }, { env: {}, source: 'test' });
    expect((await vaultHttp(server.address, 'GET', `auth/approle/role/${roleName(config, 'region-1')}`, { token: server.rootToken })).status).toBe(404);
    const workDir = join(site.dir, '.maas-vault', 'encterraform');
    expect(existsSync(join(workDir, 'terraform.tfstate'))).toBe(false);
    expect(existsSync(join(workDir, 'cdktf.out', 'stacks', 'maas-vault-encterraform', '.terraform'))).toBe(false);
  });
});
