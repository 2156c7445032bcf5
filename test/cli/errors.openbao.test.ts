/**
 * Errors that name the real cause, on a real OpenBao (no engine run): a refused token is one line
 * and exit 1 for every command that uses it; TLS failures say TLS and name VAULT_CACERT; the
 * environment variable that was used is the one blamed; `status --json` prints JSON even then.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevServer, startUninitializedServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { runCli } from '../support/cli.js';
import { withoutProgress } from '../support/progress.js';
import { vaultHttp } from '../support/http.js';
import { serverBinary, serverCliName } from '../support/matrix.js';

describe('errors name the real cause (openbao)', () => {
  let server: OpenBaoServer;
  let tls: OpenBaoServer;
  let dir: string;
  let config: string;

  beforeAll(async () => {
    [server, tls] = await Promise.all([startDevServer({ bao: serverBinary() }), startDevServer({ bao: serverBinary(), tls: true })]);
    dir = mkdtempSync(join(tmpdir(), 'maas-vault-errors-'));
    config = join(dir, 'maas-vault.json');
    writeFileSync(config, JSON.stringify({ site: 'errors', vault: { address: server.address }, controllers: [{ name: 'region-1' }] }));
  });

  afterAll(async () => {
    await Promise.all([server?.stop(), tls?.stop()]);
  });

  function cli(args: string[], token: string | undefined, env: Record<string, string | undefined> = {}) {
    return runCli([...args, '--config', config], { token, env: { HOME: dir, ...env } });
  }

  async function revokedToken(): Promise<string> {
    const created = await vaultHttp(server.address, 'POST', 'auth/token/create', { token: server.rootToken, body: { policies: ['default'], ttl: '10m' } });
    const token = created.body.auth.client_token as string;
    await vaultHttp(server.address, 'POST', 'auth/token/revoke-self', { token });
    return token;
  }

  it.each([
    [['status']],
    [['credentials']],
    [['revoke', '--auto-approve', '--controller', 'region-1']],
    [['verify']],
    [['plan']],
    [['plan', '--detailed-exitcode']],
    [['apply', '--auto-approve']],
    [['destroy', '--auto-approve']],
  ])('%j with a revoked token: one line, exit 1', async (args) => {
    const token = await revokedToken();
    const result = await cli(args, token);
    expect(result.exitCode).toBe(1);
    expect(withoutProgress(result.stderr).trim().split('\n')).toEqual([
      `maas-vault: Vault at ${server.address} refused the token (from VAULT_TOKEN or ~/.vault-token): it is invalid, expired or revoked, or it lacks the default policy that grants auth/token/lookup-self. Export a valid token (\`${serverCliName()} login\` or VAULT_TOKEN)`,
    ]);
    expect(result.stderr).not.toContain(`${serverCliName() === 'bao' ? 'vault' : 'bao'} login`);
    expect(result.all).not.toContain(token);
  });

  it('a token that lacks a permission: exit 1, the path, and the policy that grants it', async () => {
    const weak = (await vaultHttp(server.address, 'POST', 'auth/token/create', { token: server.rootToken, body: { policies: ['default'], ttl: '10m' } })).body
      .auth.client_token;
    const result = await cli(['status'], weak);
    expect(result.exitCode).toBe(1);
    expect(withoutProgress(result.stderr)).toMatch(
      /^maas-vault: permission denied: the token's policies do not grant "read" on sys\/auth.*`maas-vault policy admin`/,
    );
    expect(withoutProgress(result.stderr).trim().split('\n')).toHaveLength(1);
  });

  it('TLS without the CA: exit 3, says TLS verification failed and names VAULT_CACERT', async () => {
    const result = await cli(['status'], tls.rootToken, { VAULT_ADDR: tls.address });
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toMatch(
      new RegExp(
        `^maas-vault: Vault at ${tls.address}: TLS verification failed \\(.+\\): this machine does not trust Vault's certificate: set VAULT_CACERT \\(or vault\\.caCert\\)`,
      ),
    );
    expect((await cli(['status'], tls.rootToken, { VAULT_ADDR: tls.address, VAULT_CACERT: tls.caCert })).stderr).not.toMatch(/TLS/);
  });

  it('TLS with the wrong CA named in VAULT_CACERT blames VAULT_CACERT', async () => {
    const wrongCa = join(dir, 'wrong-ca.pem');
    // Another dev server's CA: a real PEM bundle, not the one that signed this server.
    const other = await startDevServer({ bao: serverBinary(), tls: true });
    writeFileSync(wrongCa, readFileSync(other.caCert!));
    await other.stop();
    const result = await cli(['status'], tls.rootToken, { VAULT_ADDR: tls.address, VAULT_CACERT: wrongCa });
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toContain(`the CA bundle in VAULT_CACERT (${wrongCa}) did not sign Vault's certificate`);
  });

  it('an unreachable VAULT_ADDR is blamed on VAULT_ADDR, not on vault.address', async () => {
    const result = await cli(['status'], server.rootToken, { VAULT_ADDR: 'http://127.0.0.1:9' });
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toMatch(/is unreachable \(.*ECONNREFUSED.*\): check VAULT_ADDR, and that Vault is running/);
    const fromFile = await cli(['status'], server.rootToken, { VAULT_ADDR: undefined });
    expect(fromFile.stderr).not.toContain('unreachable');
  });

  it('status --json prints JSON with the error when Vault is sealed', async () => {
    const sealed = await startDevServer({ bao: serverBinary() });
    try {
      await vaultHttp(sealed.address, 'POST', 'sys/seal', { token: sealed.rootToken });
      const result = await cli(['status', '--json'], sealed.rootToken, { VAULT_ADDR: sealed.address });
      expect(result.exitCode).toBe(3);
      expect(JSON.parse(result.stdout)).toEqual({ error: { message: expect.stringContaining('is sealed'), exitCode: 3 } });
    } finally {
      await sealed.stop();
    }
  });

  it('--json on a failure is one JSON object on stdout for every command, with the exit code the process gives', async () => {
    const cases: string[][] = [
      ['status'],
      ['credentials'],
      ['verify'],
      ['revoke', '--controller', 'region-1', '--auto-approve'],
      ['plan'],
      ['apply', '--auto-approve'],
      ['policy', 'nonsense'],
    ];
    for (const args of cases) {
      const result = await cli([...args, '--json'], server.rootToken, { VAULT_ADDR: 'http://127.0.0.1:9' });
      expect([args[0], result.exitCode]).not.toEqual([args[0], 0]);
      let parsed: unknown;
      expect(() => (parsed = JSON.parse(result.stdout))).not.toThrow();
      expect([args[0], parsed]).toEqual([args[0], { error: { message: expect.any(String), exitCode: result.exitCode } }]);
      expect(result.stderr).toMatch(/^maas-vault: /m);
    }
    // A site never applied: output answers in JSON that nothing was created yet.
    const never = await cli(['output', '--json'], undefined);
    expect([never.exitCode, JSON.parse(never.stdout)]).toEqual([0, { applied: false, controllers: [] }]);
  });

  it('a server no one has initialized is named as such, with the init command of its own CLI, for every command that asks it', async () => {
    const fresh = await startUninitializedServer({ bao: serverBinary(), dataDir: mkdtempSync(join(tmpdir(), 'maas-vault-uninit-')) });
    try {
      for (const args of [['status'], ['credentials'], ['plan']]) {
        const result = await cli(args, 'no-token-yet', { VAULT_ADDR: fresh.address });
        expect([args[0], result.exitCode, result.stderr]).toEqual([
          args[0],
          3,
          expect.stringContaining(`Vault at ${fresh.address} is not initialized: initialize it with \`${serverCliName()} operator init\``),
        ]);
        expect(result.stderr).not.toMatch(/is sealed/);
      }
      // Still uninitialized afterwards: nothing tried to initialize it.
      expect((await vaultHttp(fresh.address, 'GET', 'sys/init')).body).toEqual({ initialized: false });
    } finally {
      await fresh.stop();
    }
  });

  it('the token comes from ~/.vault-token when VAULT_TOKEN is not set, as for the vault CLI, and is never printed', async () => {
    const home = mkdtempSync(join(tmpdir(), 'maas-vault-home-'));
    writeFileSync(join(home, '.vault-token'), `${server.rootToken}\n`, { mode: 0o600 });
    const result = await runCli(['status', '-format=json', '--config', config], { env: { HOME: home } });
    // The site was never applied: status read Vault with that token and found nothing of it (exit 5).
    expect(result.exitCode).toBe(5);
    expect(JSON.parse(result.stdout).notCreated).toBe(true);
    expect(JSON.parse(result.stdout).server.sealed).toBe(false);
    expect(result.all).not.toContain(server.rootToken);
    const none = await runCli(['status', '--config', config], { env: { HOME: dir } });
    expect([none.exitCode, none.stderr]).toEqual([2, expect.stringContaining('VAULT_TOKEN is not set (nor is there a token in')]);
  });
});
