/** The tests' PostgreSQL 15 (with the OpenBao beside it when a suite wants both): started per suite, stopped even on failure (toolchain/postgres-server.ts). */
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { startPostgres, type TestPostgres } from '../../toolchain/postgres-server.js';
import { serverBinary } from './matrix.js';
import { rootStep } from './root.js';
import { startAll } from './stop.js';

export { PG_BIN, startPostgres, type TestPostgres } from '../../toolchain/postgres-server.js';

/** A suite's dev server and its PostgreSQL, started together; when one fails, the other is stopped (the suite's afterAll never gets either). */
export async function startServerAndPostgres(): Promise<{ server: OpenBaoServer; postgres: TestPostgres }> {
  return startAll([startDevServer({ bao: serverBinary() }), startPostgres()], async (server, postgres) => ({ server, postgres }));
}

/** The same, with AppRole enabled once for the sites that adopt it; when the enable fails too, both are stopped. */
export async function startOpenBaoAndPostgres(): Promise<{ server: OpenBaoServer; postgres: TestPostgres }> {
  return startAll([startDevServer({ bao: serverBinary() }), startPostgres()], async (server, postgres) => {
    await rootStep(server, 'POST', 'sys/auth/approle', { type: 'approle' });
    return { server, postgres };
  });
}
