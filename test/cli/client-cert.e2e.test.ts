/**
 * A site applied through a listener that requires client certificates: the engine's provider
 * presents VAULT_CLIENT_CERT too (client_auth in the provider block, paths only), apply and
 * credentials work and say that MAAS, which presents none, could not connect there; verify fails
 * on it; without the certificate credentials exits 3 with one line naming the cause.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDevServer, type ClientCertOpenBaoServer } from '../../toolchain/openbao-server.js';
import { TestSite } from '../support/site.js';
import { describeE2E } from '../support/tiers.js';
import { serverBinary } from '../support/matrix.js';
import { makeClientCertFiles, type ClientCertFiles } from '../support/client-certs.js';

describeE2E('client certificates (e2e: engine + provider)', () => {
  let server: ClientCertOpenBaoServer;
  let certs: ClientCertFiles;

  beforeAll(async () => {
    certs = makeClientCertFiles();
    server = await startDevServer({
      bao: serverBinary(),
      clientCertListener: { certFile: certs.serverCert, keyFile: certs.serverKey, clientCaFile: certs.ca },
    });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('apply and credentials present the certificate; MAAS could not, and they say so', async () => {
    const site = new TestSite(
      { ...server, address: server.clientCertAddress },
      { site: 'mtls', kv: { mount: 'kv-mtls' }, controllers: [{ name: 'region-1' }] },
    );
    site.update((input) => ({ ...input, vault: { address: server.clientCertAddress, caCert: certs.ca } }));
    const withCert = { VAULT_CLIENT_CERT: certs.clientCert, VAULT_CLIENT_KEY: certs.clientKey };
    const maasWarning = new RegExp(`the listener at ${server.clientCertAddress} requires a client certificate .*but MAAS presents none`);

    const applied = await site.cli(['apply', '--auto-approve'], server.rootToken, withCert);
    expect([applied.exitCode, applied.all]).toEqual([0, expect.stringMatching(maasWarning)]);
    const stack = readFileSync(join(site.dir, '.maas-vault', 'mtls', 'cdktf.out', 'stacks', 'maas-vault-mtls', 'cdk.tf.json'), 'utf8');
    expect(JSON.parse(stack).provider.vault[0].client_auth).toEqual([{ cert_file: certs.clientCert, key_file: certs.clientKey }]);
    expect(stack).not.toContain(readFileSync(certs.clientKey, 'utf8').split('\n')[1]);

    const credentials = await site.cli(['credentials', '--json'], server.rootToken, withCert);
    expect([credentials.exitCode, credentials.stderr]).toEqual([0, expect.stringMatching(maasWarning)]);
    expect(JSON.parse(credentials.stdout).controllers).toHaveLength(1);

    const verify = await site.cli(['verify'], server.rootToken, { ...withCert, SSL_CERT_FILE: certs.ca });
    expect([verify.exitCode, verify.stdout]).toEqual([
      1,
      expect.stringMatching(/FAILED {2}TLS as MAAS sees it: the listener at .* requires a client certificate/),
    ]);

    const without = await site.cli(['credentials'], server.rootToken);
    expect(without.exitCode).toBe(3);
    expect(without.stderr).toMatch(/the listener requires a client certificate/);
    expect(without.stderr).not.toMatch(/SSL routines|SSL alert number/);
  });
});
