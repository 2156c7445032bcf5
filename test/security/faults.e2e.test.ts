/**
 * Faults on a real OpenBao that keeps its data on disk: killed in the middle of an apply, sealed, gone.
 * Each gives the CLI's plain error, and afterwards one apply converges: no changes left to plan,
 * every controller verifies.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { startPersistentServer, type PersistentOpenBaoServer } from '../../toolchain/openbao-server.js';
import { CLI, engineEnv } from '../support/cli.js';
import { maasConfigure, vaultHttp } from '../support/http.js';
import { TestSite } from '../support/site.js';
import { describeE2E } from '../support/tiers.js';
import { serverBinary, serverCliName } from '../support/matrix.js';

describeE2E('faults (e2e: engine + provider)', () => {
  let server: PersistentOpenBaoServer;
  let site: TestSite;
  const CONTROLLERS = 120;

  beforeAll(async () => {
    server = await startPersistentServer({ bao: serverBinary(), dataDir: mkdtempSync(join(tmpdir(), 'maas-vault-faults-')) });
    site = new TestSite(server, {
      site: 'faults',
      kv: { mount: 'kv-faults' },
      controllers: Array.from({ length: CONTROLLERS }, (_, index) => ({ name: `region-${index + 1}` })),
    });
  });

  afterAll(async () => {
    await server?.stop();
  });

  async function roleCount(): Promise<number> {
    const listed = await vaultHttp(server.address, 'LIST', 'auth/approle/role', { token: server.rootToken }).catch(() => undefined);
    return listed?.body.data?.keys?.length ?? 0;
  }

  async function expectConverged(): Promise<void> {
    const applied = await site.cli(['apply', '--auto-approve']);
    expect([applied.exitCode, applied.exitCode === 0 ? '' : applied.stderr]).toEqual([0, '']);
    expect((await site.plan()).changes).toBe(false);
    const verified = await site.cli(['verify']);
    expect(verified.exitCode).toBe(0);
    expect(verified.stdout.split('\n').filter((line) => line.startsWith('OK '))).toHaveLength(CONTROLLERS);
  }

  it('Vault killed in the middle of apply: exit 3 saying so; after a restart one apply converges', async () => {
    const apply = execa(process.execPath, [CLI, 'apply', '--auto-approve', '--config', site.configPath], {
      reject: false,
      extendEnv: false,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, VAULT_TOKEN: server.rootToken, ...engineEnv() },
    });
    // Kill once the engine is creating roles, well before it is done.
    const deadline = Date.now() + 60_000;
    while ((await roleCount()) < 5 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    const created = await roleCount();
    await server.kill();
    const result = await apply;
    expect(created).toBeGreaterThanOrEqual(5);
    expect(created).toBeLessThan(CONTROLLERS);
    expect(result.exitCode).toBe(3);
    expect(String(result.stderr)).toMatch(
      /maas-vault: apply stopped partway: Vault at http:\/\/127\.0\.0\.1:\d+ is unreachable \(.*ECONNREFUSED.*\).*Run apply again once Vault is back/,
    );

    // While it is down, every command says so, with exit 3.
    for (const args of [['status'], ['credentials', '--controller', 'region-1'], ['verify', '--controller', 'region-1'], ['apply', '--auto-approve']]) {
      const down = await site.cli(args);
      expect([args.join(' '), down.exitCode]).toEqual([args.join(' '), 3]);
      expect(down.stderr).toContain('is unreachable');
    }

    await server.restart();
    await expectConverged();
    // 120 controllers applied, killed, restarted and applied again: minutes on a busy 2-core machine.
  }, 420_000);

  it('Vault sealed: exit 3 with how to unseal; after unsealing one apply converges', async () => {
    await server.seal();
    for (const args of [['status'], ['credentials'], ['verify'], ['apply', '--auto-approve'], ['destroy', '--auto-approve']]) {
      const sealed = await site.cli(args);
      expect([args.join(' '), sealed.exitCode]).toEqual([args.join(' '), 3]);
      expect(sealed.stderr).toContain(`Vault at ${server.address} is sealed: unseal it with \`${serverCliName()} operator unseal\``);
    }
    await server.unseal();
    await expectConverged();
  });

  it('two credentials runs at once both succeed, and every token unwraps once to a working secret_id', async () => {
    const controllers = ['region-1', 'region-2', 'region-3', 'region-4', 'region-5'];
    const args = controllers.flatMap((name) => ['--controller', name]);
    const [first, second] = await Promise.all([site.cli(['credentials', '--json', ...args]), site.cli(['credentials', '--json', ...args])]);
    expect([first.exitCode, second.exitCode]).toEqual([0, 0]);
    const records = [...JSON.parse(first.stdout).controllers, ...JSON.parse(second.stdout).controllers];
    expect(records).toHaveLength(10);
    expect(new Set(records.map((record: { wrappedToken: string }) => record.wrappedToken)).size).toBe(10);
    for (const record of records) {
      await maasConfigure(server.address, { roleId: record.roleId, wrappedToken: record.wrappedToken, secretsPath: 'maas', mount: 'kv-faults' });
      expect((await vaultHttp(server.address, 'POST', 'sys/wrapping/unwrap', { token: record.wrappedToken })).status).toBe(400);
    }
  });
});
