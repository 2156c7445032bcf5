/** The tests' PostgreSQL 15 (with the OpenBao beside it when a suite wants both): started per suite, stopped even on failure (toolchain/postgres-server.ts). */
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { startPostgres, type TestPostgres } from '../../toolchain/postgres-server.js';
import { vaultHttp } from './http.js';
import { serverBinary } from './matrix.js';

export { PG_BIN, startPostgres, type TestPostgres } from '../../toolchain/postgres-server.js';

/** A suite's OpenBao dev server, with AppRole enabled once for the sites that adopt it, and its PostgreSQL, started together. */
export async function startOpenBaoAndPostgres(): Promise<{ server: OpenBaoServer; postgres: TestPostgres }> {
  const [server, postgres] = await Promise.all([startDevServer({ bao: serverBinary() }), startPostgres()]);
  await vaultHttp(server.address, 'POST', 'sys/auth/approle', { token: server.rootToken, body: { type: 'approle' } });
  return { server, postgres };
}
