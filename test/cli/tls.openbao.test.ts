/**
 * Vault behind TLS with a private CA, as production Vaults are, on a site set up by hand: the
 * CLI's client trusts vault.caCert or VAULT_CACERT; without it the CLI says the server cannot be
 * trusted, with exit 3.
 */
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { ManualSite } from '../support/manual-site.js';
import { serverBinary } from '../support/matrix.js';

let server: OpenBaoServer;
let site: ManualSite;

beforeAll(async () => {
  server = await startDevServer({ bao: serverBinary(), tls: true });
  site = await ManualSite.create(server, { site: 'tls', kv: { mount: 'kv-tls' }, controllers: [{ name: 'region-1' }] });
});

afterAll(async () => {
  await server?.stop();
});

it('status, verify and credentials work over HTTPS with vault.caCert', async () => {
  expect(server.address).toMatch(/^https:/);
  site.update((input) => ({ ...input, vault: { address: server.address, caCert: server.caCert } }));
  try {
    for (const command of [['status'], ['verify'], ['credentials', '--json']]) {
      const result = await site.cli(command);
      expect([command[0], result.exitCode, result.exitCode === 0 ? '' : result.stderr]).toEqual([command[0], 0, '']);
    }
  } finally {
    site.update((input) => ({ ...input, vault: { address: server.address } }));
  }
});

it('without the CA: exit 3, naming the certificate problem; VAULT_CACERT supplies it', async () => {
  const untrusted = await site.cli(['status']);
  expect(untrusted.exitCode).toBe(3);
  expect(untrusted.stderr).toMatch(new RegExp(`Vault at ${server.address}: TLS verification failed \\(.*(certificate|SELF_SIGNED|UNABLE_TO_VERIFY).*\\): .*VAULT_CACERT`, 'i'));
  const trusted = await site.cli(['status'], server.rootToken, { VAULT_CACERT: server.caCert });
  expect([trusted.exitCode, trusted.exitCode === 0 ? '' : trusted.stderr]).toEqual([0, '']);
});
