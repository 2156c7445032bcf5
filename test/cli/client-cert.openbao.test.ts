/**
 * A listener that requires client certificates (tls_require_and_verify_client_cert, with
 * tls_client_ca_file): VAULT_CLIENT_CERT / VAULT_CLIENT_KEY (or BAO_CLIENT_CERT / BAO_CLIENT_KEY)
 * are presented on maas-vault's own calls; without them, or with a certificate the listener does
 * not know, the command exits 3 with one line naming the cause, not OpenSSL's dump.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevServer, type ClientCertOpenBaoServer } from '../../toolchain/openbao-server.js';
import { runCli } from '../support/cli.js';
import { makeClientCertFiles, type ClientCertFiles } from '../support/client-certs.js';
import { serverBinary } from '../support/matrix.js';

describe('client certificates (server: a listener requiring them)', () => {
  let server: ClientCertOpenBaoServer;
  let certs: ClientCertFiles;
  let config: string;

  beforeAll(async () => {
    certs = makeClientCertFiles();
    server = await startDevServer({
      bao: serverBinary(),
      clientCertListener: { certFile: certs.serverCert, keyFile: certs.serverKey, clientCaFile: certs.ca },
    });
    const dir = mkdtempSync(join(tmpdir(), 'maas-vault-client-cert-'));
    config = join(dir, 'maas-vault.json');
    writeFileSync(
      config,
      JSON.stringify({ site: 'mtls', vault: { address: server.clientCertAddress, caCert: certs.ca }, controllers: [{ name: 'region-1' }] }),
    );
  });

  afterAll(async () => {
    await server?.stop();
  });

  function status(env: Record<string, string>) {
    return runCli(['status', '--config', config], { token: server.rootToken, env: { HOME: tmpdir(), ...env } });
  }

  /** The error as the admin sees it: one line, no OpenSSL source paths or alert numbers. */
  function oneLine(stderr: string): void {
    const lines = stderr
      .trim()
      .split('\n')
      .filter((line) => /TLS verification failed/.test(line));
    expect(lines).toHaveLength(1);
    expect(stderr).not.toMatch(/SSL routines|ssl\/record|SSL alert number|\.c:\d+/);
  }

  it.each([
    ['VAULT_CLIENT_CERT', 'VAULT_CLIENT_KEY'],
    ['BAO_CLIENT_CERT', 'BAO_CLIENT_KEY'],
  ])('with %s and %s: status reaches Vault over the mTLS listener', async (certVariable, keyVariable) => {
    const result = await status({ [certVariable]: certs.clientCert, [keyVariable]: certs.clientKey });
    expect(result.stderr).not.toMatch(/TLS|unreachable/);
    expect(result.exitCode).not.toBe(3);
    expect(result.stdout).toMatch(/mtls|region-1/);
  });

  it('without a client certificate: exit 3, one line saying the listener requires one, and that MAAS presents none', async () => {
    const result = await status({});
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toMatch(/the listener requires a client certificate.*export VAULT_CLIENT_CERT and VAULT_CLIENT_KEY/);
    expect(result.stderr).toMatch(/MAAS presents no client certificate/);
    oneLine(result.stderr);
  });

  it('with a certificate from a CA the listener does not know: exit 3, one line naming the certificate', async () => {
    const result = await status({ VAULT_CLIENT_CERT: certs.strangerCert, VAULT_CLIENT_KEY: certs.strangerKey });
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toMatch(new RegExp(`${certs.strangerCert.replace(/\./g, '\\.')} \\(VAULT_CLIENT_CERT\\)`));
    oneLine(result.stderr);
  });

  it('the VAULT_ spelling wins over BAO_, and says so', async () => {
    const result = await status({
      VAULT_CLIENT_CERT: certs.clientCert,
      VAULT_CLIENT_KEY: certs.clientKey,
      BAO_CLIENT_CERT: certs.strangerCert,
      BAO_CLIENT_KEY: certs.strangerKey,
    });
    expect(result.exitCode).not.toBe(3);
    expect(result.stderr).toMatch(/both VAULT_CLIENT_CERT and BAO_CLIENT_CERT are set: VAULT_CLIENT_CERT is used, BAO_CLIENT_CERT is ignored/);
  });

  it('a certificate without its key, or a key file that is not there: exit 2 naming the variable, nothing sent', async () => {
    const alone = await status({ VAULT_CLIENT_CERT: certs.clientCert });
    expect([alone.exitCode, alone.stderr]).toEqual([2, expect.stringMatching(/VAULT_CLIENT_CERT is set but VAULT_CLIENT_KEY is not/)]);
    const missing = await status({ VAULT_CLIENT_CERT: certs.clientCert, VAULT_CLIENT_KEY: join(certs.dir, 'nope.key') });
    expect([missing.exitCode, missing.stderr]).toEqual([2, expect.stringMatching(/VAULT_CLIENT_KEY: file .*nope\.key does not exist/)]);
  });
});
