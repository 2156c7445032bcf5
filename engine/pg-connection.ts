/**
 * Who may connect to the pg backend, and how the engine's connection is named: what every plan,
 * apply and destroy checks, kept apart from pg-state.ts so that only a pg site loads the
 * PostgreSQL client.
 */
import { hostname, userInfo } from 'node:os';
import { engineOutput } from './errors.js';

/** Thrown before anything runs when the engine would have no database to connect to. */
export class PgConnectionMissingError extends Error {
  override name = 'PgConnectionMissingError';
  readonly exitCode = 2;
  constructor() {
    super(
      "state.backend is 'pg' but neither PG_CONN_STR nor PGHOST is set: export PG_CONN_STR=postgres://USER@HOST/DB " +
        "(the password in PGPASSWORD or ~/.pgpass), or libpq's PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE. " +
        'The connection string never goes into the config',
    );
  }
}

export function requirePgConnection(env: NodeJS.ProcessEnv): void {
  if (!env.PG_CONN_STR && !env.PGHOST) throw new PgConnectionMissingError();
}

/** PGAPPNAME for the engine: what `pg_stat_activity` shows of a lock holder. */
export function engineApplicationName(): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (a container's arbitrary uid)
  }
  return `maas-vault by ${user}@${hostname()} pid ${process.pid}`.slice(0, 63);
}

/**
 * The engines create the schema, table and id sequence with `CREATE … IF NOT EXISTS`, which two
 * concurrent first runs can still collide on (PostgreSQL: duplicate key in pg_type/pg_namespace).
 * Measured with two applies of a new site at once. The loser's `init` changed nothing; run again,
 * it finds everything in place.
 */
export function isConcurrentCreation(error: unknown): boolean {
  const output = engineOutput(error) ?? '';
  return /duplicate key value violates unique constraint "pg_(type_typname_nsp|namespace_nspname|class_relname_nsp)_index"/.test(output);
}
