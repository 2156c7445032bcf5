/**
 * The rotation record of a pg site (vault/rotation-record.ts), kept beside its state in
 * `<schema>.maas_vault_rotation` (one row, the record as JSON text), so that an admin on another
 * machine sees a rotation begun on this one and can finish it. Read and written under the site's
 * lock by `rotate`; read without it by status, output and every synth. Accessors only: no secret.
 */
import { withPgClient } from './pg-client.js';

const TABLE = 'maas_vault_rotation';

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The record's text; undefined when this site never had one in PostgreSQL. */
export async function readPgRotationRecord(schema: string, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  return withPgClient({ what: 'reading the rotation record', env }, async (client) => {
    const exists = await client.query<{ found: string | null }>('SELECT to_regclass($1) AS found', [`${quoteIdent(schema)}.${TABLE}`]);
    if (!exists.rows[0]?.found) return undefined;
    return (await client.query<{ record: string }>(`SELECT record FROM ${quoteIdent(schema)}.${TABLE} WHERE id = 1`)).rows[0]?.record;
  });
}

/**
 * Writes the record (`onlyIfNone`: only where none was ever stored, for the one-time move of a work
 * directory's record); returns the record stored afterwards.
 */
export async function writePgRotationRecord(schema: string, text: string, { onlyIfNone = false } = {}, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return withPgClient({ what: 'recording the rotation', env }, async (client) => {
    const table = `${quoteIdent(schema)}.${TABLE}`;
    for (let attempt = 0; ; attempt++) {
      try {
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
        await client.query(`CREATE TABLE IF NOT EXISTS ${table} (id int PRIMARY KEY CHECK (id = 1), record text NOT NULL, updated timestamptz NOT NULL)`);
        break;
      } catch (error) {
        // Another first run creating the same schema or table at this moment.
        if (attempt >= 3 || (error as { code?: string }).code !== '23505') throw error;
      }
    }
    const conflict = onlyIfNone ? 'DO NOTHING' : 'DO UPDATE SET record = EXCLUDED.record, updated = now()';
    await client.query(`INSERT INTO ${table} (id, record, updated) VALUES (1, $1, now()) ON CONFLICT (id) ${conflict}`, [text]);
    return (await client.query<{ record: string }>(`SELECT record FROM ${table} WHERE id = 1`)).rows[0].record;
  });
}
