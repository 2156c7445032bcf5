/**
 * maas-vault's own lock on a pg site, held by every command that changes Vault or the site's
 * records (cli/site-lock.ts), so admins on different machines run one at a time.
 *
 * It is a session advisory lock in the two-key space (`pg_advisory_lock(int, int)`), apart from the
 * engines' one-key locks on the state row: an apply holds it for its whole run while its engine
 * takes the state row's lock itself. The session can be lost while held (server restart, the
 * backend terminated, a network cut): the holder then no longer excludes anyone, so it watches
 * its session ('error'/'end', and a heartbeat query every second with a timeout) and is told.
 *
 * A lost session does not stop the holder's engine at once: it finishes the Vault calls in flight
 * and saves its state. The fence row (`<schema>.maas_vault_site_lock`) keeps the next holder out
 * meanwhile: the holder marks it 'stopping' and keeps its heartbeat going until its engine has
 * stopped, then clears it. A run that takes the lock and finds the row held waits while it says
 * 'stopping', or while it says 'running' from before a server restart or with a heartbeat younger
 * than the heartbeat timeout (the holder may not have reconnected to say so yet); at most
 * STALE_SECONDS after its last heartbeat (a holder that cannot reach PostgreSQL stops its engine
 * well within that: see engine/interrupts.ts). A row left 'running' with an older heartbeat and no
 * restart is a run that exited without releasing (a signal): the next run goes ahead.
 */
import type { Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { isPgConnectionFailure, pgClientConfig } from './pg-client.js';

/** How long a fence row outlives its holder's last heartbeat. */
export const STALE_SECONDS = 40;
const HEARTBEAT_MS = 1000;
/** A heartbeat that has not answered by then counts as a lost session (a network cut sends no error). */
const HEARTBEAT_TIMEOUT_MS = 5000;
/** How long a holder that lost its lock keeps its fence alive at most while its run stops. */
const STOPPING_MAX_MS = 90_000;
/** How long a holder that has stopped keeps trying to clear its fence. */
const CLEAR_MAX_MS = 10_000;
const LOCK_KEY = "hashtext('maas-vault site lock')";
const FENCE = 'maas_vault_site_lock';

export interface PgSiteLock {
  /** Resolves with what happened when the lock's session is lost while held; never when released first. */
  readonly lost: Promise<string>;
  /** Clears the fence and ends the session (also done when the event loop empties). */
  release(): Promise<void>;
  /**
   * After a loss: keeps the fence marked 'stopping' while `stop` runs (the engine stopping, its
   * state pushed back), then clears it so the next run goes ahead.
   */
  settle(stop: () => Promise<void>): Promise<void>;
}

export interface PgSiteLockOptions {
  schema: string;
  applicationName: string;
  waitSeconds: number;
  env?: NodeJS.ProcessEnv;
  /** Told once when the lock is taken only after a previous holder finished stopping. */
  onFenced?: (holder: string) => void;
}

/** Why a run could not take the lock in time: a live holder, or one that lost it and is still stopping. */
export class PgSiteLockBusy extends Error {
  override name = 'PgSiteLockBusy';
  constructor(readonly stoppingHolder?: string) {
    super(stoppingHolder ? `the previous holder (${stoppingHolder}) lost the lock and is still stopping` : 'held by another run');
  }
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The client's socket: unreferenced while the lock is merely held, so a held lock never keeps the process alive. */
function socketOf(client: pg.Client): Socket | undefined {
  return (client as unknown as { connection?: { stream?: Socket } }).connection?.stream;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms / 1000}s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Takes the site's lock, waiting up to `waitSeconds` for a live holder (and for one that lost it to
 * finish stopping), riding out connection failures meanwhile. Undefined when the time ran out.
 */
export async function lockPgSite(options: PgSiteLockOptions): Promise<PgSiteLock | undefined> {
  const env = options.env ?? process.env;
  const fence = `${quoteIdent(options.schema)}.${FENCE}`;
  const me = `${options.applicationName} [${randomUUID()}]`;
  const deadline = Date.now() + options.waitSeconds * 1000;
  let waitedFor: string | undefined;
  for (;;) {
    const client = new pg.Client(pgClientConfig(env, options.applicationName));
    client.on('error', () => undefined);
    try {
      await client.connect();
      for (;;) {
        const taken = await client.query<{ locked: boolean }>(`SELECT pg_try_advisory_lock(${LOCK_KEY}, hashtext($1)) AS locked`, [options.schema]);
        if (taken.rows[0]?.locked) break;
        if (Date.now() >= deadline) {
          await client.end().catch(() => undefined);
          return undefined;
        }
        await sleep(300);
      }
      await ensureFence(client, options.schema);
      for (;;) {
        const stopping = await stoppingHolder(client, fence);
        if (!stopping) break;
        waitedFor = stopping;
        if (Date.now() >= deadline) {
          await client.end().catch(() => undefined);
          throw new PgSiteLockBusy(stopping);
        }
        await sleep(300);
      }
      await client.query(
        `INSERT INTO ${fence} (id, holder, state, beat, server_start) VALUES (1, $1, 'running', now(), pg_postmaster_start_time())
         ON CONFLICT (id) DO UPDATE SET holder = $1, state = 'running', beat = now(), server_start = pg_postmaster_start_time()`,
        [me],
      );
      if (waitedFor) options.onFenced?.(waitedFor);
      return watch(client, fence, me, env, options.applicationName);
    } catch (error) {
      await client.end().catch(() => undefined);
      if (error instanceof PgSiteLockBusy || !isPgConnectionFailure(error) || Date.now() >= deadline) throw error;
      await sleep(500);
    }
  }
}

async function ensureFence(client: pg.Client, schema: string): Promise<void> {
  // The engines' init may be creating the schema at this moment: a lost race is only a retry.
  for (let attempt = 0; ; attempt++) {
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${quoteIdent(schema)}.${FENCE} ` +
          '(id int PRIMARY KEY CHECK (id = 1), holder text, state text, beat timestamptz, server_start timestamptz)',
      );
      return;
    } catch (error) {
      if (attempt >= 3 || (error as { code?: string }).code !== '23505') throw error;
      await sleep(200);
    }
  }
}

/** The holder named in the fence row whose run may still be writing, if any. */
async function stoppingHolder(client: pg.Client, fence: string): Promise<string | undefined> {
  const row = (
    await client.query<{ holder: string | null; state: string; age: number; restarted: boolean }>(
      `SELECT holder, state, extract(epoch FROM now() - beat)::float8 AS age,
              server_start IS DISTINCT FROM pg_postmaster_start_time() AS restarted
         FROM ${fence} WHERE id = 1`,
    )
  ).rows[0];
  if (!row?.holder || row.age >= STALE_SECONDS) return undefined;
  // 'running' with a fresh heartbeat: a holder that has just lost its session gets a heartbeat's
  // timeout to say it is stopping (a holder that exited normally cleared the row).
  const fresh = row.age < HEARTBEAT_TIMEOUT_MS / 1000;
  if (row.state === 'stopping' || (row.state === 'running' && (row.restarted || fresh))) return row.holder.replace(/ \[[0-9a-f-]+\]$/, '');
  return undefined;
}

function watch(client: pg.Client, fence: string, me: string, env: NodeJS.ProcessEnv, applicationName: string): PgSiteLock {
  let released = false;
  let lostReason: string | undefined;
  let reportLoss: (reason: string) => void = () => undefined;
  const lost = new Promise<string>((resolve) => (reportLoss = resolve));
  const socket = socketOf(client);
  socket?.unref();
  const onLoss = (reason: string) => {
    if (released || lostReason) return;
    lostReason = reason;
    clearInterval(timer);
    client.end().catch(() => undefined);
    reportLoss(reason);
  };
  client.on('error', (error: Error) => onLoss(`the connection failed: ${error.message}`));
  client.on('end', () => onLoss('the server closed the connection'));
  let beating = false;
  const timer = setInterval(() => {
    if (beating) return;
    beating = true;
    withTimeout(client.query(`UPDATE ${fence} SET beat = now() WHERE id = 1 AND holder = $1`, [me]), HEARTBEAT_TIMEOUT_MS, 'the heartbeat query')
      .then((result) => {
        if (result.rowCount === 0) onLoss('another run took over the lock record');
      })
      .catch((error: Error) => onLoss(isPgConnectionFailure(error) ? `the connection failed: ${error.message}` : error.message))
      .finally(() => (beating = false));
  }, HEARTBEAT_MS);
  timer.unref();

  const release = async () => {
    if (released) return;
    released = true;
    clearInterval(timer);
    process.removeListener('beforeExit', onBeforeExit);
    if (lostReason) return;
    socket?.ref();
    await withTimeout(
      (async () => {
        await client.query(`UPDATE ${fence} SET holder = NULL, state = NULL WHERE id = 1 AND holder = $1`, [me]);
        await client.query(`SELECT pg_advisory_unlock_all()`);
      })(),
      HEARTBEAT_TIMEOUT_MS,
      'releasing the lock',
    ).catch(() => undefined);
    await client.end().catch(() => undefined);
  };
  // Commands end by returning, not by exiting: the lock is released once nothing else is left to do.
  const onBeforeExit = () => void release();
  process.on('beforeExit', onBeforeExit);

  const settle = async (stop: () => Promise<void>) => {
    let stopped = false;
    let stoppedAt = 0;
    // Beats on fresh connections while the run stops (the old session is gone), then clears the
    // fence: retried until PostgreSQL answers, for at most CLEAR_MAX_MS once the run has stopped.
    const keeper = (async () => {
      const startedAt = Date.now();
      const until = () => (stopped ? stoppedAt + CLEAR_MAX_MS : startedAt + STOPPING_MAX_MS);
      while (Date.now() < until()) {
        const beat = new pg.Client(pgClientConfig(env, applicationName));
        beat.on('error', () => undefined);
        try {
          await withTimeout(beat.connect(), HEARTBEAT_TIMEOUT_MS, 'connecting');
          const mark = (sql: string) =>
            withTimeout(beat.query(`UPDATE ${fence} SET ${sql} WHERE id = 1 AND holder = $1`, [me]), HEARTBEAT_TIMEOUT_MS, 'the fence');
          if (!stopped) await mark("state = 'stopping', beat = now()");
          while (!stopped && Date.now() < until()) {
            await sleep(HEARTBEAT_MS);
            await mark('beat = now()');
          }
          if (stopped) await mark('holder = NULL, state = NULL');
          await beat.end().catch(() => undefined);
          return;
        } catch {
          await beat.end().catch(() => undefined);
          await sleep(500);
        }
      }
    })();
    try {
      await stop();
    } finally {
      stopped = true;
      stoppedAt = Date.now();
      // Cleared if PostgreSQL answers within CLEAR_MAX_MS; otherwise the fence goes stale by itself.
      await keeper;
      released = true;
      process.removeListener('beforeExit', onBeforeExit);
    }
  };
  return { lost, release, settle };
}

/** Who holds the site's lock, as pg_stat_activity names its session; undefined when no one does. */
export async function pgSiteLockHolder(
  schema: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ who: string; since: string; databaseUser: string; clientAddress?: string } | undefined> {
  const client = new pg.Client(pgClientConfig(env, 'maas-vault'));
  client.on('error', () => undefined);
  try {
    await client.connect();
    const found = (
      await client.query<{ application_name: string; backend_start: Date; usename: string; client_addr: string | null }>(
        `SELECT a.application_name, a.backend_start, a.usename, host(a.client_addr) AS client_addr
           FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
          WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
            AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
            AND l.classid = (${LOCK_KEY})::oid AND l.objid = (hashtext($1))::oid
          LIMIT 1`,
        [schema],
      )
    ).rows[0];
    return found
      ? {
          who: found.application_name || '(a client that set no application_name)',
          since: found.backend_start.toISOString(),
          databaseUser: found.usename,
          clientAddress: found.client_addr ?? undefined,
        }
      : undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}
