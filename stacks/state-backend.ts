/**
 * The engine's state backend: a local file in the work directory, or PostgreSQL shared by every
 * admin and CI runner of a site. For pg the stack names only the schema: the connection comes from
 * PG_CONN_STR or libpq's PG* variables in the engine's environment, so no password is ever in the
 * config, the synthesized JSON, or the engine's `.terraform/` backend cache.
 */
import { LocalBackend, PgBackend, type Construct, type PgBackendConfig } from './framework.js';
import type { MaasVaultConfig } from '../config/index.js';
import { stateSchemaName } from './state-schema.js';

export { stateSchemaName } from './state-schema.js';

export function addStateBackend(scope: Construct, config: Pick<MaasVaultConfig, 'site' | 'state'>, statePath: string): void {
  // cdktf types conn_str as required; left out, both engines take PG_CONN_STR or the PG* variables
  // (an empty string works with Terraform only: OpenTofu then tries to connect to "").
  if (config.state.backend === 'pg') new PgBackend(scope, { schemaName: stateSchemaName(config) } as PgBackendConfig);
  else new LocalBackend(scope, { path: statePath });
}
