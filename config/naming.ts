/**
 * Names derived from the config, in one place so the stack, the CLI and the tests agree.
 *
 * Sites are `[a-z0-9-]` and controllers `[a-z0-9.-]`: neither can hold '_', which AppRole role
 * names and policy names allow. '_' is therefore the separator, and that makes the names
 * injective across sites: `maas_<site>_<controller>` splits at its first '_' after `maas_` into
 * exactly one (site, controller), a site's role glob `maas_<site>_*` can match no other site's
 * role, and the issuer's `maas-issuer_<site>` (a '-' after `maas`) can never be a controller's.
 */
import type { MaasVaultConfig } from './load.js';

type Site = Pick<MaasVaultConfig, 'site'>;
/** A site, and when known its controllers: an adopted role (`controllers[].role`) is resolved from them. */
type SiteWithControllers = Site & { controllers?: readonly { name: string; role?: string }[] };

/**
 * The AppRole role of one region controller: the role the config names for it (`role`, adopted
 * from a set-up made by hand), else `maas_<site>_<controller>`. Every command resolves it here.
 */
export function roleName(config: SiteWithControllers, controller: string): string {
  const explicit = config.controllers?.find((entry) => entry.name === controller)?.role;
  return explicit ?? `${siteRolePrefix(config)}${controller}`;
}

/** Controllers whose role the config names explicitly: roles adopted from a hand-made set-up. */
export function adoptedRoles(config: { controllers: readonly { name: string; role?: string }[] }): Map<string, string> {
  return new Map(config.controllers.flatMap((entry) => (entry.role === undefined ? [] : [[entry.name, entry.role] as const])));
}

/** Every controller role of the site starts with this, and no other site's name does. */
export function siteRolePrefix(config: Site): string {
  return `maas_${config.site}_`;
}

/** The MAAS policy when `policy.name` is not set: `maas_<site>`. */
export function defaultPolicyName(config: Site): string {
  return `maas_${config.site}`;
}

/** `policy.name` must be `maas_<site>` or `maas_<site>_<suffix>`; returns the reason when it is not. */
export function sitePolicyNameProblem(config: Site, name: string): string | undefined {
  const base = defaultPolicyName(config);
  if (name === base) return undefined;
  const suffix = name.startsWith(`${base}_`) ? name.slice(base.length + 1) : undefined;
  if (suffix !== undefined && /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/.test(suffix) && name.length <= 64) return undefined;
  return `"${name.slice(0, 64)}" is not a policy of site ${config.site}: write "${base}" or "${base}_<suffix>" (suffix of lowercase letters, digits and '-', at most 64 characters in all), so no site can name another site's policy`;
}

/**
 * A name adopted from a hand-made set-up (a controller's `role`, or with policy.adopt the policy)
 * lies outside the site's own scheme, so it must not be one of another site's: a role
 * `maas_<other>_<controller>`, a policy `maas_<other>` or `maas_<other>_<suffix>`, or anything
 * under `maas-issuer_` (every site's CI issuer). This site's own names are fine. Role names are
 * compared folded to lowercase, as Vault does.
 */
export function foreignNameProblem(config: Site, kind: 'role' | 'policy', name: string): string | undefined {
  const folded = name.toLowerCase();
  if (folded.startsWith('maas-issuer_')) {
    return `"${name}" is in the CI issuers' namespace (maas-issuer_<site>), which maas-vault manages: adopt only a ${kind} of your own set-up`;
  }
  const site = (kind === 'role' ? /^maas_([a-z0-9-]+)_/ : /^maas_([a-z0-9-]+)(?:_|$)/).exec(folded)?.[1];
  if (site !== undefined && site !== config.site) {
    const scheme = kind === 'role' ? 'maas_<site>_<controller>' : 'maas_<site>[_<suffix>]';
    return `"${name}" is a ${kind} name of site ${site} (${scheme}), not of site ${config.site}: adopt only a ${kind} of your own set-up`;
  }
  return undefined;
}

/**
 * A Terraform-safe, stable identifier for a controller. Controller names hold only `[a-z0-9.-]`,
 * so mapping '.' to '_' cannot make two names collide.
 */
export function controllerLogicalId(controller: string): string {
  return controller.replace(/\./g, '_');
}

/** The CI issuer's role (opt-in): it may only mint wrapped secret IDs for this site's roles. */
export function issuerRoleName(config: Site): string {
  return `maas-issuer_${config.site}`;
}

export function issuerPolicyName(config: Site): string {
  return `maas-issuer_${config.site}`;
}

/**
 * The names before the '_' scheme (`maas-<site>-<controller>`, `maas-<site>`, `maas-<site>-issuer`),
 * which could collide across sites. Only `keepLegacyNames` uses them: the migration keeps these
 * roles alive until every region has been configured with its new role.
 */
export const legacyNames = {
  role: (config: Site, controller: string): string => `maas-${config.site}-${controller}`,
  /** `maas-<site>`, or the custom policy.name 0.1.0 used (`keepLegacyNames: { policy }`). */
  policy: (config: Site & { keepLegacyNames?: boolean | { policy: string } }): string =>
    typeof config.keepLegacyNames === 'object' ? config.keepLegacyNames.policy : `maas-${config.site}`,
  issuerRole: (config: Site): string => `maas-${config.site}-issuer`,
  issuerPolicy: (config: Site): string => `maas-${config.site}-issuer`,
};
