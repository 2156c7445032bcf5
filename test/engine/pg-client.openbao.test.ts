/**
 * maas-vault's own PostgreSQL sessions (engine/pg-client.ts) against a real PostgreSQL 15 that is
 * down or restarting when they start: each waits the server out and then does its work, instead
 * of ending the command with the driver's "Connection terminated unexpectedly"; a server that
 * stays away is named with the fix; an error of another family is not retried.
 * (Server tier for PostgreSQL; no Vault is used.)
 */
import { withPgClient, isPgUnavailable } from '../../engine/pg-client.js';
import { lockPgState, readPgSiteRecord, writePgSiteRecord } from '../../engine/pg-state.js';
import { readPgRotationRecord, writePgRotationRecord } from '../../engine/pg-rotation.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';

let postgres: TestPostgres;
const env = () => ({ PG_CONN_STR: postgres.connStr });
const record = { site: 'lab', vault: { address: 'https://vault.example:8200', clusterId: 'cluster-1' } };

beforeAll(async () => {
  postgres = await startPostgres();
}, 60_000);
afterAll(async () => {
  await postgres?.stop();
});

/** Stops PostgreSQL, starts `use`, and brings the server back `downMs` later; what `use` gave. */
async function whileDown<T>(downMs: number, use: () => Promise<T>): Promise<T> {
  await postgres.stop();
  const using = use();
  // A rejection before the server is back is the test's result, not an unhandled one.
  using.catch(() => undefined);
  await new Promise((resolve) => setTimeout(resolve, downMs));
  await postgres.start();
  return using;
}

it.each([500, 2500])('the site record, read and written while the server is down for %i ms: both succeed once it is back', async (downMs) => {
  const schema = `pgclient_site_${downMs}`;
  await whileDown(downMs, () => writePgSiteRecord(schema, record, env()));
  expect(await readPgSiteRecord(schema, env())).toEqual(expect.objectContaining(record));
  const read = await whileDown(downMs, () => readPgSiteRecord(schema, env()));
  expect(read).toEqual(expect.objectContaining(record));
});

it('the rotation record, written during a restart: stored once, readable after', async () => {
  const schema = 'pgclient_rotation';
  const stored = await whileDown(1500, () => writePgRotationRecord(schema, '{"version":1}', {}, env()));
  expect(stored).toBe('{"version":1}');
  expect(await readPgRotationRecord(schema, env())).toBe('{"version":1}');
});

it('the state lock, waited for while the server restarts: taken once it is back, and held', async () => {
  const schema = 'pgclient_lock';
  const release = await whileDown(1500, () => lockPgState(schema, 'maas-vault test holder', 5, env()));
  expect(release).toBeDefined();
  // Held: a second session cannot take it.
  expect(await lockPgState(schema, 'maas-vault test second', 0, env())).toBeUndefined();
  await release!();
  const again = await lockPgState(schema, 'maas-vault test second', 0, env());
  expect(again).toBeDefined();
  await again!();
});

it('a server that stays away: PgUnavailableError naming what was being done, PostgreSQL and the fix', async () => {
  await postgres.stop();
  try {
    const error = await withPgClient({ what: 'reading the site record', env: env(), retrySeconds: 2 }, async () => 'never').catch((caught: unknown) => caught);
    expect(isPgUnavailable(error)).toBe(true);
    expect((error as Error).message).toMatch(
      /^PostgreSQL \(PG_CONN_STR or PGHOST\) did not answer while maas-vault was reading the site record: .*ECONNREFUSED.*, retried for 2s\. Check that the database server is up/,
    );
    expect((error as Error).message).not.toContain(postgres.connStr);
  } finally {
    await postgres.start();
  }
});

it('an error that is not a lost connection is not retried: it comes back at once, as it was', async () => {
  let attempts = 0;
  const started = Date.now();
  const error = await withPgClient({ what: 'testing', env: env() }, async (client) => {
    attempts++;
    return client.query('SELECT * FROM no_such_table');
  }).catch((caught: unknown) => caught);
  expect(attempts).toBe(1);
  expect(isPgUnavailable(error)).toBe(false);
  expect((error as { code?: string }).code).toBe('42P01');
  expect(Date.now() - started).toBeLessThan(10_000);
});
