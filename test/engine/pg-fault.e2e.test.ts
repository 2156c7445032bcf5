/**
 * PostgreSQL going away in the middle of an apply, with the state in it. The engine cannot save
 * the state it holds in memory: it writes `errored.tfstate` (holding the wrapping tokens) into the
 * stack directory and fails. Without that state the next apply does not know the secret IDs it
 * issued, issues them again, and every controller ends with two live ones. The next run pushes the
 * errored state back, says so, and converges: one secret ID per controller, an empty plan.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { roleName, validateConfig } from '../../config/index.js';
import type { OpenBaoServer } from '../../toolchain/openbao-server.js';
import { workLayout } from '../../stacks/work-layout.js';
import { vaultHttp } from '../support/http.js';
import { startServerAndPostgres, type TestPostgres } from '../support/postgres.js';
import { stopAll } from '../support/stop.js';
import { TestSite } from '../support/site.js';
import { describeE2E } from '../support/tiers.js';

const CONTROLLERS = 40;
const FIRST_ROLES = 5;

describeE2E('PostgreSQL stopped mid-apply (e2e: engine + provider + PostgreSQL 15)', () => {
  let server: OpenBaoServer;
  let postgres: TestPostgres;
  beforeAll(async () => ({ server, postgres } = await startServerAndPostgres()));
  afterAll(() => stopAll(server, postgres));

  async function roleCount(prefix: string): Promise<number> {
    const listed = await vaultHttp(server.address, 'LIST', 'auth/approle/role', { token: server.rootToken });
    return ((listed.body.data?.keys ?? []) as string[]).filter((role) => role.startsWith(prefix)).length;
  }

  it('the failed apply leaves errored.tfstate; the next apply pushes it back and converges with one secret ID per controller', async () => {
    const input = {
      site: 'pgfault',
      kv: { mount: 'kv-pgfault' },
      controllers: Array.from({ length: CONTROLLERS }, (_, index) => ({ name: `region-${index + 1}` })),
      state: { backend: 'pg' },
    };
    const site = new TestSite(server, input);
    const config = validateConfig({ vault: { address: server.address }, ...input }, { env: {}, source: 'test', baseDir: site.dir });
    const { stackDir } = workLayout(config);
    const applying = site.cli(['apply', '--auto-approve'], server.rootToken, postgres.env);
    // Stop PostgreSQL once the engine is creating roles: its state write at the end then fails.
    let finished = false;
    void applying.then(() => (finished = true));
    const deadline = Date.now() + 120_000;
    while (!finished && (await roleCount('maas_pgfault_')) < FIRST_ROLES && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(finished).toBe(false);
    await postgres.stop();
    const failed = await applying;
    await postgres.start();
    expect(failed.exitCode).not.toBe(0);
    const errored = join(stackDir, 'errored.tfstate');
    expect(existsSync(errored)).toBe(true);
    // What happened and what the next run does, not the engine's advice to push or force-unlock by hand.
    expect(failed.stderr).toContain(`the engine could not save the state`);
    expect(failed.stderr).toContain(`It kept it in ${errored}`);
    expect(failed.all).not.toMatch(/force-unlock|terraform state push/);
    expect(statSync(errored).mode & 0o077).toBe(0);

    const again = await site.cli(['apply', '--auto-approve'], server.rootToken, postgres.env);
    expect({ exitCode: again.exitCode, out: again.stderr }).toEqual({
      exitCode: 0,
      out: expect.stringContaining(`pushed back the state an earlier run could not save (${errored}`),
    });
    expect(existsSync(errored)).toBe(false);
    for (const { name } of input.controllers) {
      const listed = await vaultHttp(server.address, 'LIST', `auth/approle/role/${roleName(config, name)}/secret-id`, { token: server.rootToken });
      expect([name, listed.body.data?.keys?.length]).toEqual([name, 1]);
    }
    const plan = await site.cli(['plan', '--detailed-exitcode'], server.rootToken, postgres.env);
    expect(plan.exitCode).toBe(0);
    expect(readdirSync(stackDir).filter((file) => file.includes('errored'))).toEqual([]);
  });
});
