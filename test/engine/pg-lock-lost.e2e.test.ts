/**
 * The site's lock in PostgreSQL lost mid-apply, with a second admin waiting for it. Before: the
 * engine's advisory lock went with the restarted server's sessions, the waiting admin's engine
 * took it and applied while the first engine went on, and every role ended with two live secret
 * IDs. Now maas-vault watches the session that holds the site's lock ('error'/'end' events and a
 * query every second): when it is lost, it interrupts its engine as Ctrl-C does, keeps the waiting
 * run fenced off until its engine has stopped and its state is saved, and exits 1 saying so.
 *
 * "No two writers at once" is measured on the engines' processes: the last moment A's engine was
 * seen running `apply` comes before the first moment B's engine was seen running it (polled in
 * /proc every 25 ms by the working directory of each engine). Then what Vault holds: one live
 * secret ID per controller, and an empty plan.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { roleName, validateConfig } from '../../config/index.js';
import type { OpenBaoServer } from '../../toolchain/openbao-server.js';
import { workLayout } from '../../stacks/work-layout.js';
import { vaultHttp } from '../support/http.js';
import { startOpenBaoAndPostgres, type TestPostgres } from '../support/postgres.js';
import { stopAll } from '../support/stop.js';
import { TestSite } from '../support/site.js';
import { describeE2E } from '../support/tiers.js';

const CONTROLLERS = 60;

/** Fault and the number of A's roles in Vault when it strikes (each run is a new site). */
const RUNS: Array<{ fault: 'restart' | 'terminate'; afterRoles: number }> = [
  { fault: 'restart', afterRoles: 3 },
  { fault: 'terminate', afterRoles: 15 },
  { fault: 'restart', afterRoles: 35 },
  { fault: 'terminate', afterRoles: 45 },
];

/** When the engine processes running `apply` in a stack directory were first and last seen. */
class EngineWatch {
  private seen = new Map<string, { first: number; last: number }>();
  private timer: NodeJS.Timeout;
  constructor(private readonly dirs: string[]) {
    this.timer = setInterval(() => this.poll(), 25);
  }
  private poll(): void {
    const now = Date.now();
    for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
      let cwd: string;
      let cmdline: string;
      try {
        cwd = readlinkSync(`/proc/${pid}/cwd`);
        cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        continue;
      }
      const args = cmdline.split('\0');
      if (!this.dirs.includes(cwd) || !/(terraform|tofu)$/.test(args[0] ?? '') || args[1] !== 'apply') continue;
      const entry = this.seen.get(cwd);
      this.seen.set(cwd, { first: entry?.first ?? now, last: now });
    }
  }
  span(dir: string): { first: number; last: number } | undefined {
    return this.seen.get(dir);
  }
  stop(): void {
    clearInterval(this.timer);
  }
}

/**
 * Stops (SIGSTOP) the engine and provider processes working in a stack directory, so a fault lands
 * while the engine is certainly mid-apply: on a loaded machine the last roles can otherwise be
 * written, and the lock released, between counting the roles and the fault. Returns their PIDs
 * for `thaw`.
 */
function freeze(dir: string): number[] {
  const pids: number[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      if (readlinkSync(`/proc/${pid}/cwd`) !== dir) continue;
      const program = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '';
      if (!/(terraform|tofu|terraform-provider-vault[^/]*)$/.test(program)) continue;
      process.kill(Number(pid), 'SIGSTOP');
      pids.push(Number(pid));
    } catch {
      // gone already
    }
  }
  return pids;
}

function thaw(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      // gone already
    }
  }
}

describeE2E('the site lock in PostgreSQL lost mid-apply (e2e: engine + provider + PostgreSQL 15)', () => {
  let server: OpenBaoServer;
  let postgres: TestPostgres;
  // Every run's site adds its roles to the one AppRole mount MAAS logs in at.
  beforeAll(async () => ({ server, postgres } = await startOpenBaoAndPostgres()));
  afterAll(() => stopAll(server, postgres));

  async function roleCount(prefix: string): Promise<number> {
    const listed = await vaultHttp(server.address, 'LIST', 'auth/approle/role', { token: server.rootToken });
    return ((listed.body.data?.keys ?? []) as string[]).filter((role) => role.startsWith(prefix)).length;
  }

  async function until(condition: () => Promise<boolean>, what: string, ms = 180_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`waited ${ms / 1000}s for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it.each(RUNS.map((run, index) => ({ ...run, index })))(
    'run $index: $fault after $afterRoles roles: A stops before B applies; one secret ID per controller; the plan is then empty',
    async ({ fault, afterRoles, index }) => {
      const controllers = Array.from({ length: CONTROLLERS }, (_, n) => ({ name: `region-${n + 1}` }));
      const input = { site: `pglost${index}`, kv: { mount: `kv-pglost${index}` }, approle: { adopt: true }, controllers, state: { backend: 'pg' } };
      const [a, b] = [new TestSite(server, input), new TestSite(server, input)];
      const config = (site: TestSite) => validateConfig({ vault: { address: server.address }, ...input }, { env: {}, source: 'test', baseDir: site.dir });
      const [stackA, stackB] = [workLayout(config(a)).stackDir, workLayout(config(b)).stackDir];
      const watch = new EngineWatch([stackA, stackB]);
      let frozen: number[] = [];
      try {
        const env = { PG_CONN_STR: postgres.connStr };
        const applyingA = a.cli(['apply', '--auto-approve', '--lock-timeout', '240s'], server.rootToken, env);
        let doneA = false;
        void applyingA.then(() => (doneA = true));
        await until(async () => doneA || watch.span(stackA) !== undefined, "A's engine apply");
        // B waits for the site's lock while A applies.
        const applyingB = b.cli(['apply', '--auto-approve', '--lock-timeout', '240s'], server.rootToken, env);
        const prefix = `maas_pglost${index}_`;
        await until(async () => doneA || (await roleCount(prefix)) >= afterRoles, `${afterRoles} roles of A`);
        frozen = freeze(stackA);
        if (doneA) throw new Error(`A ended before the fault:\n${(await applyingA).all}`);
        expect(frozen.length).toBeGreaterThan(0);
        const faultAt = Date.now();
        if (fault === 'restart') {
          await postgres.stop();
          await postgres.start();
        } else {
          // A's lock session only: the session that holds maas-vault's site lock (B's waits beside it).
          const holders = await postgres.query<{ pid: number }>(
            `SELECT a.pid FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid AND l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
              WHERE a.application_name LIKE 'maas-vault by % apply'`,
          );
          expect(holders.length).toBe(1);
          const killed = await postgres.query<{ done: boolean }>('SELECT pg_terminate_backend($1) AS done', [holders[0].pid]);
          expect(killed).toEqual([{ done: true }]);
        }
        thaw(frozen);
        const [resultA, resultB] = await Promise.all([applyingA, applyingB]);
        const [spanA, spanB] = [watch.span(stackA), watch.span(stackB)];
        // A stopped on the loss and said so; B then applied and converged.
        expect({ exitCode: resultA.exitCode, lost: /lost the site's lock/.test(resultA.stderr) }).toEqual({ exitCode: 1, lost: true });
        // Mostly mid-apply (the engine interrupted); at a late offset the engine may just have finished.
        const interrupted = /the engine was interrupted as Ctrl-C does/.test(resultA.stderr);
        const how = interrupted ? 'engine interrupted' : /while no engine was running/.test(resultA.stderr) ? 'no engine running' : 'unsaid';
        expect(how).not.toBe('unsaid');
        expect([resultB.exitCode, resultB.exitCode === 0 ? '' : resultB.all]).toEqual([0, '']);
        expect(spanA && spanB).toBeTruthy();
        // No two writers at once: A's engine was gone before B's engine started applying.
        expect({ aLastSeen: spanA!.last, bFirstSeen: spanB!.first, order: spanA!.last < spanB!.first }).toEqual(expect.objectContaining({ order: true }));
        process.stderr.write(
          `run ${index} (${fault} after ${afterRoles} roles, ${how}): A's engine stopped ${spanA!.last - faultAt} ms after the fault; ` +
            `B's engine started ${spanB!.first - spanA!.last} ms after that\n` +
            `  A said: ${resultA.stderr
              .split('\n')
              .filter((line) => /lost the site's lock/.test(line))
              .join(' | ')}\n`,
        );
        for (const { name } of input.controllers) {
          const listed = await vaultHttp(server.address, 'LIST', `auth/approle/role/${roleName(config(b), name)}/secret-id`, { token: server.rootToken });
          expect([name, listed.body.data?.keys?.length]).toEqual([name, 1]);
        }
        const plan = await b.cli(['plan', '--detailed-exitcode'], server.rootToken, env);
        expect([plan.exitCode, plan.exitCode === 0 ? '' : plan.all]).toEqual([0, '']);
        // B's apply ended normally and released the lock's record as it went: the next run waits for nothing.
        expect(await postgres.query(`SELECT holder, state FROM maas_vault_pglost${index}.maas_vault_site_lock`)).toEqual([{ holder: null, state: null }]);
      } finally {
        thaw(frozen);
        watch.stop();
      }
    },
    600_000,
  );
});
