/**
 * Vault behind TLS with a private CA, as production Vaults are, on a site set up by hand: the
 * CLI's client trusts vault.caCert or VAULT_CACERT; without it the CLI says the server cannot be
 * trusted, with exit 3.
 */
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { ManualSite } from '../support/manual-site.js';
import { serverBinary } from '../support/matrix.js';
import { VaultClient } from '../../vault/client.js';
import { parseConfigureLine, parseInitRegionLine, runMaasHandOff } from '../../vault/maas-configure.js';
import { connect, createServer, type Server } from 'node:net';

let server: OpenBaoServer;
let site: ManualSite;

beforeAll(async () => {
  server = await startDevServer({ bao: serverBinary(), tls: true });
  site = await ManualSite.create(server, { site: 'tls', kv: { mount: 'kv-tls' }, controllers: [{ name: 'region-1' }] });
});

afterAll(async () => {
  await server?.stop();
});

it('status and credentials work over HTTPS with vault.caCert', async () => {
  expect(server.address).toMatch(/^https:/);
  site.update((input) => ({ ...input, vault: { address: server.address, caCert: server.caCert } }));
  try {
    for (const command of [['status'], ['credentials', '--json']]) {
      const result = await site.cli(command);
      expect([command[0], result.exitCode, result.exitCode === 0 ? '' : result.stderr]).toEqual([command[0], 0, '']);
    }
  } finally {
    site.update((input) => ({ ...input, vault: { address: server.address } }));
  }
});

describe('TLS the way regions see it (MAAS gives hvac no CA: the system store only)', () => {
  beforeAll(() => site.update((input) => ({ ...input, vault: { address: server.address, caCert: server.caCert } })));
  afterAll(() => site.update((input) => ({ ...input, vault: { address: server.address } })));

  it.each([[['credentials']], [['rotate', '--controller', 'region-1']]])('%j says once which CA every region must trust, and how', async (args) => {
    const result = await site.cli(args);
    expect(result.exitCode).toBe(0);
    const note = `every region controller must trust Vault's CA ${server.caCert} (vault.caCert)`;
    expect(result.stderr.split(note)).toHaveLength(2);
    expect(result.stderr).toContain('its system store /etc/ssl/certs/ca-certificates.crt');
    expect(result.stderr).toContain('sudo cp <copy of the CA> /usr/local/share/ca-certificates/maas-vault-ca.crt && sudo update-ca-certificates');
  });

  it('credentials --json names the CA for regions (notes are not shown with --json)', async () => {
    const json = JSON.parse((await site.cli(['credentials', '--json'])).stdout);
    expect(json.regionCa).toEqual({
      caCert: server.caCert,
      systemStore: '/etc/ssl/certs/ca-certificates.crt',
      installCommands: ['sudo cp <copy of the CA> /usr/local/share/ca-certificates/maas-vault-ca.crt', 'sudo update-ca-certificates'],
    });
  });

  it('verify: a pass only with the admin CA is a failure naming the CA to install (exit 1)', async () => {
    // This host's system store stands in for a region's: it has never heard of the test CA.
    const result = await site.cli(['verify']);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/^OK {6}region-1: /m);
    expect(result.stdout).toContain(`FAILED  TLS as MAAS sees it: Vault's certificate at ${server.address} does not verify against the system store`);
    expect(result.stdout).toContain(`maas-vault got through only with ${server.caCert} (vault.caCert). Install ${server.caCert} on every region controller`);
    const json = JSON.parse((await site.cli(['verify', '--json'])).stdout);
    expect(json.tls).toMatchObject({ trustedAsMaas: false, caToInstall: server.caCert });
  });

  it("both printed forms, through MAAS's call sequence: fail at unwrap without the CA, configure with it", async () => {
    const issued = JSON.parse((await site.cli(['credentials', '--json'])).stdout).controllers[0];
    const untrusting = new VaultClient({ address: server.address });
    const trusting = new VaultClient({ address: server.address, caCert: server.caCert });
    try {
      for (const line of [parseConfigureLine(issued.command), parseInitRegionLine(issued.initCommand)]) {
        await expect(runMaasHandOff(untrusting, line)).rejects.toThrow(/MAAS would fail to unwrap the secret ID/);
      }
      // The token was never unwrapped by the refused attempts: one form still works with the CA.
      const settings = await runMaasHandOff(trusting, parseInitRegionLine(issued.initCommand));
      expect(settings).toMatchObject({ url: server.address, roleId: issued.roleId, mount: 'kv-tls' });
    } finally {
      await untrusting.close();
      await trusting.close();
    }
  });

  it('verify judges TLS at the address regions are told (vault.maasAddress), not the one maas-vault reached', async () => {
    // Regions reach the same listener by a name its certificate does not carry (127.0.0.2).
    const target = new URL(server.address);
    const forwarder: Server = createServer((inbound) => {
      const outbound = connect(Number(target.port), target.hostname);
      inbound.pipe(outbound).pipe(inbound);
      inbound.on('error', () => outbound.destroy());
      outbound.on('error', () => inbound.destroy());
    });
    await new Promise<void>((resolve) => forwarder.listen(0, '127.0.0.2', resolve));
    const maasAddress = `https://127.0.0.2:${(forwarder.address() as { port: number }).port}`;
    site.update((input) => ({ ...input, vault: { address: server.address, maasAddress, caCert: server.caCert } }));
    try {
      // The system store trusts the CA: only the name differs, and that is what every region would refuse.
      const result = await site.cli(['verify'], server.rootToken, { SSL_CERT_FILE: server.caCert });
      expect(result.exitCode).toBe(1);
      expect(result.stdout).toMatch(/^OK {6}region-1: /m);
      expect(result.stdout).toContain(`FAILED  TLS as MAAS sees it: Vault's certificate at ${maasAddress} (vault.maasAddress) is not valid for 127.0.0.2`);
      // MAAS's own sequence at that address fails the same way.
      const issued = JSON.parse((await site.cli(['credentials', '--json'])).stdout).controllers[0];
      const region = new VaultClient({ address: maasAddress, caCert: server.caCert });
      await expect(runMaasHandOff(region, parseConfigureLine(issued.command))).rejects.toThrow(/MAAS would fail to unwrap the secret ID/);
      await region.close();
    } finally {
      site.update((input) => ({ ...input, vault: { address: server.address, caCert: server.caCert } }));
      await new Promise<void>((resolve) => forwarder.close(() => resolve()));
    }
  });

  it('verify passes once the system store holds the CA (SSL_CERT_FILE plays a region that installed it)', async () => {
    const result = await site.cli(['verify'], server.rootToken, { SSL_CERT_FILE: server.caCert });
    expect([result.exitCode, result.exitCode === 0 ? '' : result.all]).toEqual([0, '']);
    expect(result.stdout).not.toContain('TLS as MAAS sees it');
  });
});

it('without the CA: exit 3, naming the certificate problem; VAULT_CACERT supplies it', async () => {
  const untrusted = await site.cli(['status']);
  expect(untrusted.exitCode).toBe(3);
  expect(untrusted.stderr).toMatch(
    new RegExp(`Vault at ${server.address}: TLS verification failed \\(.*(certificate|SELF_SIGNED|UNABLE_TO_VERIFY).*\\): .*VAULT_CACERT`, 'i'),
  );
  const trusted = await site.cli(['status'], server.rootToken, { VAULT_CACERT: server.caCert });
  expect([trusted.exitCode, trusted.exitCode === 0 ? '' : trusted.stderr]).toEqual([0, '']);
});
