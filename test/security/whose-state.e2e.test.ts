/**
 * A state knows whose it is: the work directory records the site and the
 * Vault cluster it was applied to. Another site's config on that work directory, or the same
 * config reaching another Vault cluster, is refused before the engine runs, and each Vault still
 * holds what it held; the same cluster at a new address is accepted and said once.
 */
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { maasConfigure, vaultHttp } from '../support/http.js';
import { TestSite } from '../support/site.js';
import { describeE2E } from '../support/tiers.js';
import { serverBinary } from '../support/matrix.js';
import { join } from 'node:path';
import { createServer } from 'node:http';

const SECRET = 'maas/controller/1/database-creds';

describeE2E('a state knows whose it is (e2e: engine + provider)', () => {
  let server: OpenBaoServer;
  let other: OpenBaoServer;
  let site: TestSite;
  let region: { roleId: string; secretId: string };

  const clusterId = async (on: OpenBaoServer) => (await vaultHttp(on.address, 'GET', 'sys/seal-status')).body.cluster_id as string;

  async function regionReads(): Promise<string> {
    const login = await vaultHttp(server.address, 'POST', 'auth/approle/login', { body: { role_id: region.roleId, secret_id: region.secretId } });
    if (login.status !== 200) return `login ${login.status}`;
    const read = await vaultHttp(server.address, 'GET', `kv-home/data/${SECRET}`, { token: login.body.auth.client_token });
    return read.status === 200 ? String(read.body.data.data.password) : `read ${read.status}`;
  }

  beforeAll(async () => {
    [server, other] = await Promise.all([startDevServer({ bao: serverBinary() }), startDevServer({ bao: serverBinary() })]);
    site = new TestSite(server, { site: 'home', kv: { mount: 'kv-home' }, controllers: [{ name: 'region-1' }] });
    await site.apply();
    const issued = (await site.outputs()).get('region-1')!;
    const configured = await maasConfigure(server.address, { roleId: issued.roleId, wrappedToken: issued.wrappedToken, secretsPath: 'maas', mount: 'kv-home' });
    region = { roleId: issued.roleId, secretId: configured.secretId };
    expect(
      (await vaultHttp(server.address, 'POST', `kv-home/data/${SECRET}`, { token: configured.token, body: { data: { password: 'pw-home' } } })).status,
    ).toBe(200);
    // The other Vault has a mount of the same name with its own data.
    await vaultHttp(other.address, 'POST', 'sys/mounts/kv-home', { token: other.rootToken, body: { type: 'kv', options: { version: '2' } } });
    expect(
      (await vaultHttp(other.address, 'POST', `kv-home/data/${SECRET}`, { token: other.rootToken, body: { data: { password: 'pw-other' } } })).status,
    ).toBe(200);
  });

  afterAll(async () => {
    await Promise.all([server?.stop(), other?.stop()]);
  });

  it('another site configured onto the same work directory is refused with both names; the first site is untouched', async () => {
    const intruder = new TestSite(server, {
      site: 'intruder',
      workDir: join(site.dir, '.maas-vault', 'home'),
      kv: { mount: 'kv-home' },
      approle: { adopt: true },
      controllers: [{ name: 'region-1' }],
    });
    // The default work directory of `home` is found by looking: the record sits beside its state.
    const applied = await intruder.cli(['apply', '--auto-approve']);
    expect(applied.exitCode).toBe(2);
    expect(applied.stderr).toMatch(/holds the state of site home .* this config is site intruder/);
    expect(await regionReads()).toBe('pw-home');
    expect((await site.plan()).changes).toBe(false);
  });

  it('the same config reaching another Vault cluster (an exported VAULT_ADDR) is refused naming both; neither Vault changes', async () => {
    for (const command of [['plan'], ['apply', '--auto-approve'], ['destroy', '--auto-approve', '--delete-secrets']]) {
      const result = await site.cli(command, other.rootToken, { VAULT_ADDR: other.address });
      expect([command[0], result.exitCode]).toEqual([command[0], 2]);
      expect(result.stderr).toContain(await clusterId(server));
      expect(result.stderr).toContain(await clusterId(other));
    }
    expect((await vaultHttp(other.address, 'GET', `kv-home/data/${SECRET}`, { token: other.rootToken })).body.data.data.password).toBe('pw-other');
    const otherRoles = await vaultHttp(other.address, 'GET', 'sys/auth', { token: other.rootToken });
    expect(Object.keys(otherRoles.body.data)).not.toContain('approle/');
    expect(await regionReads()).toBe('pw-home');
  });

  it('status and output of another site on the work directory are refused with both names', async () => {
    const intruder = new TestSite(server, {
      site: 'intruder',
      workDir: join(site.dir, '.maas-vault', 'home'),
      kv: { mount: 'kv-intruder' },
      approle: { adopt: true },
      controllers: [{ name: 'region-1' }],
    });
    for (const command of [['status'], ['output']]) {
      const result = await intruder.cli(command);
      expect([command[0], result.exitCode]).toEqual([command[0], 2]);
      expect(result.stderr).toMatch(/holds the state of site home .* this config is site intruder/);
      // No hand-off mixing home's role IDs and wrapping tokens with intruder's mount and path.
      expect(result.stdout).not.toContain('config-vault configure');
    }
  });

  it('status and output reaching another cluster are refused before a wrapping token of the state is sent there', async () => {
    // A recording proxy in front of the other Vault: what maas-vault sends to the cluster it reached.
    const bodies: string[] = [];
    const proxy = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        bodies.push(`${request.method} ${request.url} ${body}`);
        const headers = Object.fromEntries(Object.entries(request.headers).filter(([name]) => name !== 'host' && name !== 'content-length')) as Record<
          string,
          string
        >;
        fetch(`${other.address}${request.url}`, { method: request.method, headers, body: body || undefined })
          .then(async (answer) => response.writeHead(answer.status, { 'content-type': 'application/json' }).end(await answer.text()))
          .catch(() => response.writeHead(502).end());
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const address = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
    try {
      const tokens = [...(await site.outputs()).values()].map((controller) => controller.wrappedToken);
      expect(tokens.length).toBeGreaterThan(0);
      for (const command of [['status'], ['output']]) {
        const result = await site.cli(command, other.rootToken, { VAULT_ADDR: address });
        expect([command[0], result.exitCode]).toEqual([command[0], 2]);
        expect(result.stderr).toContain(await clusterId(server));
        expect(result.stderr).toContain(await clusterId(other));
      }
      for (const token of tokens) expect(bodies.filter((body) => body.includes(token))).toEqual([]);
    } finally {
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
  });

  it('the same cluster at a new address is accepted, and said once', async () => {
    const moved = server.address.replace('127.0.0.1', 'localhost');
    expect(moved).not.toBe(server.address);
    const first = await site.cli(['plan'], server.rootToken, { VAULT_ADDR: moved });
    expect([first.exitCode, first.exitCode === 0 ? '' : first.all]).toEqual([0, '']);
    expect(first.stderr).toContain(`moved from ${server.address} to ${moved}`);
    const second = await site.cli(['plan'], server.rootToken, { VAULT_ADDR: moved });
    expect(second.exitCode).toBe(0);
    expect(second.stderr).not.toContain('moved from');
    expect(await regionReads()).toBe('pw-home');
  });
});
