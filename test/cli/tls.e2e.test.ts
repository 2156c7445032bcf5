/**
 * Vault behind TLS with a private CA, as production Vaults are: vault.caCert (or VAULT_CACERT)
 * reaches the CLI's client and the engine's provider alike; without it the CLI says the server
 * cannot be trusted, with exit 3.
 */
import { readToolchain } from '../../toolchain/index.js';
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { TestSite } from '../support/site.js';
import { describeE2E } from '../support/tiers.js';

describeE2E('tls (e2e: engine + provider)', () => {
  let server: OpenBaoServer;

  beforeAll(async () => {
    server = await startDevServer({ bao: readToolchain().bao.path, tls: true });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('applies, verifies and issues credentials over HTTPS with vault.caCert', async () => {
    expect(server.address).toMatch(/^https:/);
    const site = new TestSite(server, { site: 'tls', kv: { mount: 'kv-tls' }, controllers: [{ name: 'region-1' }] });
    site.update((input) => ({ ...input, vault: { address: server.address, caCert: server.caCert } }));
    const applied = await site.apply();
    expect(applied.stdout).toContain(`sudo maas config-vault configure ${server.address} `);
    for (const command of [['status'], ['verify'], ['credentials', '--json']]) {
      const result = await site.cli(command);
      expect([command[0], result.exitCode]).toEqual([command[0], 0]);
    }
  });

  it('without the CA: exit 3, naming the certificate problem; VAULT_CACERT supplies it', async () => {
    const site = new TestSite(server, { site: 'tls', kv: { mount: 'kv-tls' }, controllers: [{ name: 'region-1' }] });
    const untrusted = await site.cli(['status']);
    expect(untrusted.exitCode).toBe(3);
    expect(untrusted.stderr).toMatch(new RegExp(`Vault at ${server.address}: TLS verification failed \\(.*(certificate|SELF_SIGNED|UNABLE_TO_VERIFY).*\\): .*VAULT_CACERT`, 'i'));
    const trusted = await site.cli(['status'], server.rootToken, { VAULT_CACERT: server.caCert });
    expect(trusted.exitCode).toBe(0);
  });
});
