/** Names derived from the config, in one place so the stack, the CLI and the tests agree. */
import type { MaasVaultConfig } from './load.js';

/**
 * The AppRole role of one region controller: the role the config names for it (`role`, an
 * adopted role), else `maas-<site>-<controller>`. Every command resolves it here, so they agree.
 */
export function roleName(config: Pick<MaasVaultConfig, 'site'> & { controllers?: MaasVaultConfig['controllers'] }, controller: string): string {
  const explicit = config.controllers?.find((entry) => entry.name === controller)?.role;
  return explicit ?? `maas-${config.site}-${controller}`;
}

/** Controllers whose role the config names explicitly: roles adopted from a hand-made set-up. */
export function adoptedRoles(config: Pick<MaasVaultConfig, 'controllers'>): Map<string, string> {
  return new Map(config.controllers.flatMap((entry) => (entry.role === undefined ? [] : [[entry.name, entry.role] as const])));
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
