/**
 * maas-vault's site lock in PostgreSQL (engine/pg-site-lock.ts) against a real PostgreSQL 15: a
 * holder learns at once that its session was lost (server restarted, backend terminated), and the
 * run waiting for the lock is fenced off until the old holder has finished stopping, however soon
 * it gets the advisory lock itself. A holder that released goes with no wait at all.
 * (Server tier for PostgreSQL; no Vault is used.)
 */
import { lockPgSite, pgSiteLockHolder, type PgSiteLock } from '../../engine/pg-site-lock.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';

let postgres: TestPostgres;
const env = () => ({ PG_CONN_STR: postgres.connStr });

beforeAll(async () => {
  postgres = await startPostgres();
}, 60_000);
afterAll(async () => {
  await postgres?.stop();
});

async function take(schema: string, name: string, waitSeconds = 60): Promise<PgSiteLock> {
  const lock = await lockPgSite({ schema, applicationName: name, waitSeconds, env: env() });
  if (!lock) throw new Error(`${name} did not get the lock`);
  return lock;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it('released: the next holder takes it at once', async () => {
  const a = await take('fence_release', 'maas-vault test a');
  await a.release();
  const started = Date.now();
  const b = await take('fence_release', 'maas-vault test b');
  expect(Date.now() - started).toBeLessThan(2000);
  await b.release();
});

it('held: a second run waits, then times out', async () => {
  const a = await take('fence_held', 'maas-vault test a');
  const started = Date.now();
  expect(await lockPgSite({ schema: 'fence_held', applicationName: 'maas-vault test b', waitSeconds: 2, env: env() })).toBeUndefined();
  expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
  // What the waiting run's message names.
  expect(await pgSiteLockHolder('fence_held', env())).toEqual(expect.objectContaining({ who: 'maas-vault test a', databaseUser: 'maasvault' }));
  await a.release();
  expect(await pgSiteLockHolder('fence_held', env())).toBeUndefined();
});

describe.each([
  { fault: 'restart' as const, stopMs: 3000 },
  { fault: 'terminate' as const, stopMs: 3000 },
  { fault: 'restart' as const, stopMs: 6000 },
  { fault: 'terminate' as const, stopMs: 6000 },
])('lost by $fault, the old holder taking $stopMs ms to stop', ({ fault, stopMs }) => {
  it('the holder is told within 2 s, and the waiting run gets the lock only after the old holder stopped', async () => {
    const schema = `fence_${fault}_${stopMs}`;
    const a = await take(schema, 'maas-vault test a apply');
    // B waits on the advisory lock (polling beside A).
    let bAt: number | undefined;
    const waiting = take(schema, 'maas-vault test b apply').then((lock) => {
      bAt = Date.now();
      return lock;
    });
    await sleep(800);
    let lostAt = 0;
    void a.lost.then(() => (lostAt = Date.now()));
    const faultAt = Date.now();
    if (fault === 'restart') {
      await postgres.stop();
      await postgres.start();
    } else {
      const [holder] = await postgres.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE application_name = 'maas-vault test a apply'");
      await postgres.query('SELECT pg_terminate_backend($1)', [holder.pid]);
    }
    const reason = await Promise.race([a.lost, sleep(2000).then(() => 'not told')]);
    expect(reason).not.toBe('not told');
    const toldMs = lostAt - faultAt;
    let stoppedAt = 0;
    await a.settle(async () => {
      await sleep(stopMs);
      stoppedAt = Date.now();
    });
    const b = await waiting;
    expect({ bAfterAStopped: bAt! >= stoppedAt }).toEqual({ bAfterAStopped: true });
    process.stderr.write(`${fault}, stop ${stopMs} ms: A told after ${toldMs} ms (${reason}); B got the lock ${bAt! - stoppedAt} ms after A stopped\n`);
    await b.release();
  }, 60_000);
});

it('a session that stops answering (its backend stalled, as behind a network cut) counts as lost within the heartbeat timeout', async () => {
  const a = await take('fence_stall', 'maas-vault test stalled');
  const [holder] = await postgres.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE application_name = 'maas-vault test stalled'");
  const stalledAt = Date.now();
  process.kill(holder.pid, 'SIGSTOP');
  try {
    const reason = await Promise.race([a.lost, sleep(9000).then(() => 'not told')]);
    expect(reason).toBe('the heartbeat query did not answer within 5s');
    expect(Date.now() - stalledAt).toBeLessThan(8000);
  } finally {
    process.kill(holder.pid, 'SIGCONT');
  }
  await a.settle(async () => undefined);
  const b = await take('fence_stall', 'maas-vault test after stall', 20);
  await b.release();
}, 60_000);
