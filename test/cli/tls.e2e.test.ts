/**
 * Vault behind TLS with a private CA, as production Vaults are: vault.caCert (or VAULT_CACERT)
 * reaches the engine's provider as well as the CLI's client (tls.openbao.test.ts covers the client alone).
 */
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { TestSite } from '../support/site.js';
import { describeE2E } from '../support/tiers.js';
import { serverBinary } from '../support/matrix.js';

describeE2E('tls (e2e: engine + provider)', () => {
  let server: OpenBaoServer;

  beforeAll(async () => {
    server = await startDevServer({ bao: serverBinary(), tls: true });
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
    expect(applied.stderr).toContain(`every region controller must trust Vault's CA ${server.caCert} (vault.caCert)`);
    for (const command of [['status'], ['credentials', '--json']]) {
      const result = await site.cli(command);
      expect([command[0], result.exitCode]).toEqual([command[0], 0]);
    }
    // MAAS trusts the system store only: verify fails until it holds the CA.
    expect((await site.cli(['verify'])).exitCode).toBe(1);
    expect((await site.cli(['verify'], server.rootToken, { SSL_CERT_FILE: server.caCert })).exitCode).toBe(0);
  });
});
