/**
 * The pg backend read directly (only pg sites load this module and the PostgreSQL client): the state
 * row as the engine wrote it (no engine process; parsed by engine/state.ts), and who holds a site's lock.
 *
 * The engines keep each workspace in `<schema>.states` (one row, name 'default', state JSON in
 * `data`) and lock it with a session-level PostgreSQL advisory lock on the row's id, so a holder
 * that dies, however it dies, loses its connection and with it the lock.
 */
import pg from 'pg';
import { isPgConnectionFailure, pgClientConfig, PgUnavailableError, PG_RETRY_SECONDS, withPgClient } from './pg-client.js';
import type { SiteRecord } from './site-record.js';

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The site's state row as the engine wrote it (JSON text); undefined before the first apply. */
export async function readPgStateText(schema: string, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  return withPgClient({ what: 'reading the state', env }, async (client) => {
    const exists = await client.query<{ found: string | null }>('SELECT to_regclass($1) AS found', [`${quoteIdent(schema)}.states`]);
    if (!exists.rows[0]?.found) return undefined;
    const row = await client.query<{ data: string }>(`SELECT data FROM ${quoteIdent(schema)}.states WHERE name = 'default'`);
    return row.rows[0]?.data;
  });
}

export interface LockHolder {
  /** application_name of the holder's connection (maas-vault sets it to user, host and pid). */
  who: string;
  /** When the holder's connection opened: the engine connects as it starts. */
  since: string;
  databaseUser: string;
  clientAddress?: string;
}

/**
 * Who holds the advisory lock on the site's state row, if anyone does; before the row exists, who
 * holds the engines' creation lock (key -1), which is one for the whole database: two sites created
 * at the same moment wait for each other, briefly.
 */
export async function findLockHolder(schema: string, env: NodeJS.ProcessEnv = process.env): Promise<LockHolder | undefined> {
  return withPgClient({ what: 'looking up who holds the state lock', env }, async (client) => {
    const exists = await client.query<{ found: string | null }>('SELECT to_regclass($1) AS found', [`${quoteIdent(schema)}.states`]);
    const row = exists.rows[0]?.found
      ? (await client.query<{ id: string }>(`SELECT id::text AS id FROM ${quoteIdent(schema)}.states WHERE name = 'default'`)).rows[0]
      : undefined;
    // A bigint advisory key is split into classid (high 32 bits) and objid (low 32 bits). The
    // creator of the row keeps holding the creation lock for its whole run: ask for both keys.
    const keys = [...(row ? [BigInt(row.id)] : []), -1n].map((id) => BigInt.asUintN(64, id));
    const holder = await client.query<{ application_name: string; backend_start: Date; usename: string; client_addr: string | null }>(
      `SELECT a.application_name, a.backend_start, a.usename, host(a.client_addr) AS client_addr
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND (l.classid::bigint, l.objid::bigint) IN (SELECT * FROM unnest($1::bigint[], $2::bigint[]))
        ORDER BY l.classid DESC
        LIMIT 1`,
      [keys.map((key) => String(key >> 32n)), keys.map((key) => String(key & 0xffffffffn))],
    );
    const found = holder.rows[0];
    if (!found) return undefined;
    return {
      who: found.application_name || '(a client that set no application_name)',
      since: found.backend_start.toISOString(),
      databaseUser: found.usename,
      clientAddress: found.client_addr ?? undefined,
    };
  });
}

/**
 * Takes the engines' own lock on the site's state row for a maas-vault command that changes Vault
 * without the engine (credentials, rotate, revoke), so that it and every plan, apply or destroy of
 * the site, from any machine, run one at a time. Before the first apply there is no row: then the
 * creation lock (key -1), as the engines take it. The lock is held by this connection and goes
 * with it. Resolves to the release; to undefined when `waitSeconds` passed with the lock held.
 */
export async function lockPgState(
  schema: string,
  applicationName: string,
  waitSeconds: number,
  env: NodeJS.ProcessEnv = process.env,
): Promise<(() => Promise<void>) | undefined> {
  const deadline = Date.now() + waitSeconds * 1000;
  let failingSince: number | undefined;
  for (;;) {
    const client = new pg.Client(pgClientConfig(env, applicationName));
    // A connection lost while held (server restart, network cut) ends the lock with it; the error
    // must not end the process before the command reports.
    client.on('error', () => undefined);
    try {
      await client.connect();
      for (;;) {
        const exists = await client.query<{ found: string | null }>('SELECT to_regclass($1) AS found', [`${quoteIdent(schema)}.states`]);
        const row = exists.rows[0]?.found
          ? (await client.query<{ id: string }>(`SELECT id::text AS id FROM ${quoteIdent(schema)}.states WHERE name = 'default'`)).rows[0]
          : undefined;
        const key = row ? row.id : '-1';
        const taken = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS locked', [key]);
        if (taken.rows[0]?.locked) {
          return async () => {
            await client.query('SELECT pg_advisory_unlock($1::bigint)', [key]).catch(() => undefined);
            await client.end().catch(() => undefined);
          };
        }
        if (Date.now() >= deadline) {
          await client.end().catch(() => undefined);
          return undefined;
        }
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    } catch (error) {
      await client.end().catch(() => undefined);
      if (!isPgConnectionFailure(error)) throw error;
      // A restart while waiting is ridden out as the site lock rides it out (engine/pg-site-lock.ts).
      failingSince ??= Date.now();
      if (Date.now() >= Math.max(deadline, failingSince + PG_RETRY_SECONDS * 1000)) {
        throw new PgUnavailableError('waiting for the state lock', PG_RETRY_SECONDS, error);
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

/**
 * Revocations of a pg site live beside its state, in `<schema>.maas_vault_revocations`, so that a
 * credentials, rotate or apply on any machine sees a revoke made on another (under the lock).
 */
const REVOCATIONS = 'maas_vault_revocations';

export async function readPgRevocations(schema: string, env: NodeJS.ProcessEnv = process.env): Promise<Record<string, string>> {
  return withPgClient({ what: 'reading the revocations', env }, async (client) => {
    const exists = await client.query<{ found: string | null }>('SELECT to_regclass($1) AS found', [`${quoteIdent(schema)}.${REVOCATIONS}`]);
    if (!exists.rows[0]?.found) return {};
    const rows = await client.query<{ controller: string; revoked_at: string }>(`SELECT controller, revoked_at FROM ${quoteIdent(schema)}.${REVOCATIONS}`);
    return Object.fromEntries(rows.rows.map((row) => [row.controller, row.revoked_at]));
  });
}

export async function recordPgRevocations(schema: string, controllers: readonly string[], when: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  await withPgClient({ what: 'recording the revocations', env }, async (client) => {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${quoteIdent(schema)}.${REVOCATIONS} (controller text PRIMARY KEY, revoked_at text NOT NULL)`);
    for (const name of controllers) {
      await client.query(
        `INSERT INTO ${quoteIdent(schema)}.${REVOCATIONS} (controller, revoked_at) VALUES ($1, $2) ON CONFLICT (controller) DO UPDATE SET revoked_at = $2`,
        [name, when],
      );
    }
  });
}

export async function forgetPgRevocations(schema: string, controllers: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (controllers.length === 0) return;
  await withPgClient({ what: 'removing revocations', env }, async (client) => {
    await client.query(`DELETE FROM ${quoteIdent(schema)}.${REVOCATIONS} WHERE controller = ANY($1::text[])`, [controllers]);
  });
}

/**
 * Whose state the schema holds (engine/site-record.ts, for a state shared in PostgreSQL): one row
 * in `<schema>.maas_vault_site`, written at the first apply and checked before the engine runs,
 * so that two configs of different sites on one `state.schema` (from different work directories
 * or machines) never plan on each other's state.
 */
const SITE_TABLE = 'maas_vault_site';

export async function readPgSiteRecord(schema: string, env: NodeJS.ProcessEnv = process.env): Promise<SiteRecord | undefined> {
  return withPgClient({ what: 'reading the site record', env }, async (client) => {
    const exists = await client.query<{ found: string | null }>('SELECT to_regclass($1) AS found', [`${quoteIdent(schema)}.${SITE_TABLE}`]);
    if (!exists.rows[0]?.found) return undefined;
    const rows = await client.query<{ site: string; address: string; cluster_id: string; recorded_at: string }>(
      `SELECT site, address, cluster_id, recorded_at FROM ${quoteIdent(schema)}.${SITE_TABLE} WHERE id = 1`,
    );
    const row = rows.rows[0];
    return row ? { site: row.site, vault: { address: row.address, clusterId: row.cluster_id }, recordedAt: row.recorded_at } : undefined;
  });
}

export async function writePgSiteRecord(schema: string, record: Omit<SiteRecord, 'recordedAt'>, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  await withPgClient({ what: 'recording the site record', env }, async (client) => {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${quoteIdent(schema)}.${SITE_TABLE} ` +
        '(id integer PRIMARY KEY CHECK (id = 1), site text NOT NULL, address text NOT NULL, cluster_id text NOT NULL, recorded_at text NOT NULL)',
    );
    await client.query(
      `INSERT INTO ${quoteIdent(schema)}.${SITE_TABLE} (id, site, address, cluster_id, recorded_at) VALUES (1, $1, $2, $3, $4)
         ON CONFLICT (id) DO UPDATE SET site = $1, address = $2, cluster_id = $3, recorded_at = $4`,
      [record.site, record.vault.address, record.vault.clusterId, new Date().toISOString()],
    );
  });
}

export async function removePgSiteRecord(schema: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  await withPgClient({ what: 'removing the site record', env }, async (client) => {
    const exists = await client.query<{ found: string | null }>('SELECT to_regclass($1) AS found', [`${quoteIdent(schema)}.${SITE_TABLE}`]);
    if (exists.rows[0]?.found) await client.query(`DELETE FROM ${quoteIdent(schema)}.${SITE_TABLE}`);
  });
}
