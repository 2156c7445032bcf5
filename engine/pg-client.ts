/**
 * maas-vault's own short PostgreSQL sessions (the state row read directly, the site, revocation and
 * rotation records, who holds a lock): one way to connect, and one answer to a server that restarts
 * or fails over under them. A command that meets the restart of the database its state lives in
 * (minutes of a managed failover, seconds of a restart) waits it out and goes on, instead of ending
 * with the driver's bare "Connection terminated unexpectedly"; past the wait it says what it was
 * doing, that PostgreSQL is the cause, and what to check.
 *
 * Every use given to `withPgClient` may run again from the start on a new session: each is a read,
 * or writes that end in the same rows however often they run (CREATE … IF NOT EXISTS, upserts,
 * deletes by key).
 */
import pg from 'pg';

/** How long a session's use rides out connection failures before it gives up. */
export const PG_RETRY_SECONDS = 30;

/** The client settings for `env` (PG_CONN_STR, else libpq's PGHOST, PGUSER, … which node-postgres reads itself). */
export function pgClientConfig(env: NodeJS.ProcessEnv, applicationName: string): pg.ClientConfig {
  const url = env.PG_CONN_STR && /^postgres(ql)?:\/\//.test(env.PG_CONN_STR) ? env.PG_CONN_STR : undefined;
  return { ...(url ? { connectionString: url } : {}), application_name: applicationName, connectionTimeoutMillis: 10_000 };
}

/** A connection failure that a wait rides out (the server restarting or failing over); anything else is the caller's to see. */
export function isPgConnectionFailure(error: unknown): boolean {
  const code = (error as { code?: string } | undefined)?.code ?? '';
  const message = (error as Error | undefined)?.message ?? '';
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', '57P01', '57P02', '57P03', '08006', '08003', '08001'].includes(code) ||
    /Connection terminated|connection timeout|the database system is (starting up|shutting down|in recovery mode)|Client has encountered a connection error/i.test(
      message,
    )
  );
}

/** PostgreSQL did not answer for the whole wait: nothing of this session's use is known to have been written. */
export class PgUnavailableError extends Error {
  override name = 'PgUnavailableError';
  readonly exitCode = 1;
  constructor(what: string, seconds: number, cause: unknown) {
    super(
      `PostgreSQL (PG_CONN_STR or PGHOST) did not answer while maas-vault was ${what}: ${(cause as Error)?.message ?? String(cause)}, ` +
        `retried for ${seconds}s. Check that the database server is up and reachable from here (\`pg_isready\`), then run the command again`,
    );
  }
}

export function isPgUnavailable(error: unknown): error is PgUnavailableError {
  return error instanceof PgUnavailableError;
}

export interface PgClientOptions {
  /** What the session is for, in words ("reading the state"), for the message when PostgreSQL stays away. */
  what: string;
  applicationName?: string;
  env?: NodeJS.ProcessEnv;
  retrySeconds?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `use` on a session of its own, from the start again on a new session after a connection failure, for up to `retrySeconds`. */
export async function withPgClient<T>(options: PgClientOptions, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const env = options.env ?? process.env;
  const seconds = options.retrySeconds ?? PG_RETRY_SECONDS;
  const deadline = Date.now() + seconds * 1000;
  for (let pause = 250; ; pause = Math.min(pause * 2, 2000)) {
    const client = new pg.Client(pgClientConfig(env, options.applicationName ?? 'maas-vault'));
    // A session lost mid-use is seen as the failed query below; the event must not end the process.
    client.on('error', () => undefined);
    try {
      await client.connect();
      return await use(client);
    } catch (error) {
      if (!isPgConnectionFailure(error)) throw error;
      if (Date.now() + pause >= deadline) throw new PgUnavailableError(options.what, seconds, error);
      await sleep(pause);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}
