/**
 * Values the stack writes that are not derived from a config key alone: shared with `status`,
 * which compares Vault against them, so the two cannot disagree.
 */
import type { MaasVaultConfig } from '../config/index.js';

export const KV_MOUNT_DESCRIPTION = 'MAAS secrets (managed by maas-vault)';
export const APPROLE_MOUNT_DESCRIPTION = 'AppRole logins of MAAS region controllers (managed by maas-vault)';

/** Metadata of the secret ID the stack issues; any change re-issues it. */
export function stackSecretIdMetadata(config: Pick<MaasVaultConfig, 'site' | 'generation'>, controller: string): Record<string, string> {
  return { site: config.site, controller, generation: String(config.generation), issued_by: 'maas-vault stack' };
}
