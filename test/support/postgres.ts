/** The tests' PostgreSQL 15: started per suite, stopped even on failure (toolchain/postgres-server.ts). */
export { PG_BIN, startPostgres, type TestPostgres } from '../../toolchain/postgres-server.js';
