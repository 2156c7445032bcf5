/**
 * A throwaway PostgreSQL 15 for tests and benchmarks: `initdb` in a temporary directory, a loopback port, password
 * authentication (so a leaked connection string would be a real secret), stopped at the end even
 * when a test fails. Debian's server binaries live in /usr/lib/postgresql/15/bin (PG_BIN overrides).
 * PostgreSQL refuses to run as root: as root, the server runs as the `postgres` system user.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './openbao-server.js';

export const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

export interface TestPostgres {
  /** `postgresql://…` with the password: what PG_CONN_STR would hold. */
  connStr: string;
  password: string;
  /** The same connection as libpq's PG* variables. */
  env: Record<string, string>;
  port: number;
  /** Runs one SQL statement as the owner and returns its rows. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  stop(): Promise<void>;
  /** Starts again on the same port and data (after stop: a restart that every open session loses). */
  start(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

function runAs(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

export async function startPostgres(): Promise<TestPostgres> {
  if (!existsSync(join(PG_BIN, 'initdb'))) {
    throw new Error(`PostgreSQL 15 server binaries not found in ${PG_BIN}: install them (Debian: apt-get install postgresql-15) or set PG_BIN`);
  }
  const user = runAs();
  const dir = mkdtempSync(join(tmpdir(), 'maas-vault-pg-'));
  const data = join(dir, 'data');
  const password = randomBytes(18).toString('hex');
  const passwordFile = join(dir, 'pw');
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  if (user.uid !== undefined) {
    chownSync(dir, user.uid, user.gid!);
    chownSync(passwordFile, user.uid, user.gid!);
  }
  execFileSync(join(PG_BIN, 'initdb'), ['-D', data, '-U', 'maasvault', '--auth=scram-sha-256', `--pwfile=${passwordFile}`, '-E', 'UTF8', '--no-instructions'], {
    ...user,
    stdio: 'pipe',
  });
  const port = await freePort();
  const config = { host: '127.0.0.1', port, user: 'maasvault', password, database: 'postgres' };
  let child: ChildProcess;
  let log = '';
  const launch = async (create: boolean) => {
    child = spawn(join(PG_BIN, 'postgres'), ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'], {
      ...user,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const started = child;
    running.add(started);
    started.once('exit', () => running.delete(started));
    started.stderr?.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-5000)));
    started.stdout?.resume();
    const deadline = Date.now() + 30_000;
    for (;;) {
      const client = new pg.Client(create ? config : { ...config, database: 'maas_vault' });
      try {
        await client.connect();
        if (create) await client.query('CREATE DATABASE maas_vault');
        await client.end();
        break;
      } catch (error) {
        await client.end().catch(() => undefined);
        if (Date.now() > deadline || started.exitCode !== null) {
          started.kill('SIGKILL');
          throw new Error(`PostgreSQL did not start on port ${port}: ${(error as Error).message}\n${log.split(password).join('<redacted>')}`, {
            cause: error,
          });
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  };
  await launch(true);
  const database = 'maas_vault';
  return {
    connStr: `postgresql://maasvault:${password}@127.0.0.1:${port}/${database}?sslmode=disable`,
    password,
    port,
    env: { PGHOST: '127.0.0.1', PGPORT: String(port), PGUSER: 'maasvault', PGPASSWORD: password, PGDATABASE: database, PGSSLMODE: 'disable' },
    async query<T>(sql: string, params: unknown[] = []) {
      const client = new pg.Client({ ...config, database });
      await client.connect();
      try {
        return (await client.query(sql, params)).rows as T[];
      } finally {
        await client.end();
      }
    },
    start: () => launch(false),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGINT'); // fast shutdown
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
