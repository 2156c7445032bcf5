/** The PostgreSQL schema of a site's state, known without loading cdktf (status, output and lock messages need it). */
import type { MaasVaultConfig } from '../config/index.js';

/** One schema per site unless the config names one: `maas_vault_<site>` with '-' as '_'. */
export function stateSchemaName(config: Pick<MaasVaultConfig, 'site' | 'state'>): string {
  return config.state.schema ?? `maas_vault_${config.site.replace(/-/g, '_')}`;
}
