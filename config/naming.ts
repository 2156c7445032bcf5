/** Names derived from the config, in one place so the stack, the CLI and the tests agree. */
import type { MaasVaultConfig } from './load.js';

/** The AppRole role of one region controller: `maas-<site>-<controller>`. */
export function roleName(config: Pick<MaasVaultConfig, 'site'>, controller: string): string {
  return `maas-${config.site}-${controller}`;
}

/**
 * A Terraform-safe, stable identifier for a controller. Controller names hold only `[a-z0-9.-]`,
 * so mapping '.' to '_' cannot make two names collide.
 */
export function controllerLogicalId(controller: string): string {
  return controller.replace(/\./g, '_');
}

/** The CI issuer's role (opt-in): it may only mint wrapped secret IDs for this site's roles. */
export function issuerRoleName(config: Pick<MaasVaultConfig, 'site'>): string {
  return `maas-${config.site}-issuer`;
}

export function issuerPolicyName(config: Pick<MaasVaultConfig, 'site'>): string {
  return `maas-${config.site}-issuer`;
}
