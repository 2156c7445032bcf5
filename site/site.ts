/**
 * The desired site as plain data: everything one config says Vault should hold, worked out once.
 * The stack maps it onto constructs (stacks/maas-vault-stack.ts), status and adoption compare a
 * live Vault with it (vault/status.ts, vault/adoption.ts), and the names it lists are what the
 * site owns. No cdktf, no Vault client: it is plain data, tested without a server.
 */
import { adoptedRoles, issuerPolicyName, issuerRoleName, legacyNames, roleName, seconds, siteRolePrefix, type MaasVaultConfig } from '../config/index.js';
import { issuerPolicyFor, maasPolicyFor } from '../policies/render.js';
import { roleSettings, writtenRoleSettings, type RoleFields, type RoleInput } from './role-settings.js';

/**
 * 'current': the '_' names of config/naming.ts. 'legacy': the old names kept alive during the
 * migration (keepLegacyNames), with the old roles' settings, until every region uses its new role.
 */
export type NameSet = 'current' | 'legacy';

export const KV_MOUNT_DESCRIPTION = 'MAAS secrets (managed by maas-vault)';
export const APPROLE_MOUNT_DESCRIPTION = 'AppRole logins of MAAS region controllers (managed by maas-vault)';

export interface DesiredKv {
  mount: string;
  /** kv.adopt: the mount exists and is shared; only `settings` are the site's. */
  adopt: boolean;
  description: string;
  /** The mount's options: KV version 2, the only one MAAS speaks. */
  options: { version: '2' };
  /**
   * `<mount>/config` as the stack writes it. MAAS writes without check-and-set, so a mount that
   * requires it would refuse every write; max_versions only when the config names it.
   */
  settings: { cas_required: false; max_versions?: number };
}

export interface DesiredApprole {
  /** Always `approle`: MAAS logs in at auth/approle/login. */
  mount: string;
  /** approle.adopt: the auth method exists and is shared; read, never managed. */
  adopt: boolean;
  description: string;
}

export interface DesiredPolicy {
  name: string;
  kind: 'maas' | 'issuer';
  names: NameSet;
  /** The text exactly as the stack writes it (and Vault stores it). */
  text: string;
  /** policy.adopt: a policy of a hand-made set-up, imported and then managed. */
  adopted: boolean;
}

export interface DesiredSecretId {
  wrapTtl: string;
  /** Any change re-issues the secret ID (every field of it forces a new one). */
  metadata: Record<string, string>;
}

export interface DesiredRole {
  name: string;
  kind: 'controller' | 'issuer';
  names: NameSet;
  /** The controller of a controller role. */
  controller?: string;
  /** The policy its tokens carry (a name in `policies`). */
  policy: string;
  /** Every managed setting as Vault should hold it (site/role-settings.ts). */
  settings: RoleFields;
  /** The settings the stack writes; the others the provider plans back to the same values. */
  written: Partial<RoleFields>;
  /** controllers[].role: a role of a hand-made set-up, imported with its role ID. */
  adopted: boolean;
  /** The controller is marked revoked: its role stays, it gets no secret ID. */
  revoked: boolean;
  /** The one wrapped secret ID the stack issues with the role, if it issues one. */
  secretId?: DesiredSecretId;
  /** The issuer: the controller roles it may mint secret IDs for. */
  issues?: string[];
}

export interface DesiredSite {
  site: string;
  kv: DesiredKv;
  approle: DesiredApprole;
  /** MAAS policy, then the issuer's; current names, then legacy ones. */
  policies: DesiredPolicy[];
  /** Per name set: the controllers' roles in the config's order, then the issuer's. */
  roles: DesiredRole[];
  /** Every controller role of the site starts with it, and no other site's does. */
  rolePrefix: string;
}

/** Metadata of the secret ID the stack issues; any change re-issues it. */
export function stackSecretIdMetadata(config: Pick<MaasVaultConfig, 'site' | 'generation'>, controller: string): Record<string, string> {
  return { site: config.site, controller, generation: String(config.generation), issued_by: 'maas-vault stack' };
}

/**
 * The site one config describes. `rotated`: controllers whose secret ID `rotate --finish` handed
 * over (vault/rotation-record.ts): the stack issues them none under the current names.
 */
export function desiredSite(config: MaasVaultConfig, rotated: ReadonlySet<string> = new Set()): DesiredSite {
  const policies: DesiredPolicy[] = [];
  const roles: DesiredRole[] = [];
  const nameSets: NameSet[] = config.keepLegacyNames ? ['current', 'legacy'] : ['current'];
  const adopted = adoptedRoles(config);
  for (const names of nameSets) {
    const legacy = names === 'legacy';
    const maasPolicy = legacy ? legacyNames.policy(config) : config.policy.name;
    policies.push({ name: maasPolicy, kind: 'maas', names, text: maasPolicyFor(config), adopted: !legacy && config.policy.adopt });
    const role = (controller: string) => (legacy ? legacyNames.role(config, controller) : roleName(config, controller));
    for (const controller of config.controllers) {
      const input: RoleInput = {
        kind: 'controller',
        policy: maasPolicy,
        tokenTtl: seconds(config.tokenTtl),
        ...(config.tokenMaxTtl === undefined ? {} : { tokenMaxTtl: seconds(config.tokenMaxTtl) }),
        ...(config.secretIdTtl === undefined ? {} : { secretIdTtl: seconds(config.secretIdTtl) }),
        ...(controller.cidrs ? { cidrs: controller.cidrs } : {}),
      };
      // A revoked controller keeps its role but gets no secret ID, whatever generation says; nor
      // does one whose region runs on the secret ID a finished rotation handed it.
      const issued = config.stackSecretIds && !controller.revoked && (legacy || !rotated.has(controller.name));
      roles.push({
        name: role(controller.name),
        kind: 'controller',
        names,
        controller: controller.name,
        policy: maasPolicy,
        settings: roleSettings(input),
        written: writtenRoleSettings(input),
        adopted: !legacy && adopted.has(controller.name),
        revoked: controller.revoked,
        ...(issued ? { secretId: { wrapTtl: config.wrapTtl, metadata: stackSecretIdMetadata(config, controller.name) } } : {}),
      });
    }
    if (!config.issuer.enabled) continue;
    const issues = config.controllers.filter((controller) => !controller.revoked).map((controller) => role(controller.name));
    const issuerPolicy = legacy ? legacyNames.issuerPolicy(config) : issuerPolicyName(config);
    policies.push({ name: issuerPolicy, kind: 'issuer', names, text: issuerPolicyFor(config, issues), adopted: false });
    const input: RoleInput = {
      kind: 'issuer',
      policy: issuerPolicy,
      tokenTtl: seconds(config.issuer.tokenTtl),
      ...(config.issuer.cidrs ? { cidrs: config.issuer.cidrs } : {}),
    };
    roles.push({
      name: legacy ? legacyNames.issuerRole(config) : issuerRoleName(config),
      kind: 'issuer',
      names,
      policy: issuerPolicy,
      settings: roleSettings(input),
      written: writtenRoleSettings(input),
      adopted: false,
      revoked: false,
      issues,
    });
  }
  return {
    site: config.site,
    kv: {
      mount: config.kv.mount,
      adopt: config.kv.adopt,
      description: KV_MOUNT_DESCRIPTION,
      options: { version: '2' },
      settings: { cas_required: false, ...(config.kv.maxVersions === undefined ? {} : { max_versions: config.kv.maxVersions }) },
    },
    approle: { mount: config.approle.mount, adopt: config.approle.adopt, description: APPROLE_MOUNT_DESCRIPTION },
    policies,
    roles,
    rolePrefix: siteRolePrefix(config),
  };
}

/** What the site owns in Vault, by kind and name: what its stack creates (adopted mounts are not its). */
export interface SiteFootprint {
  mounts: string[];
  authMounts: string[];
  policies: string[];
  roles: string[];
}

export function siteFootprint(site: DesiredSite): SiteFootprint {
  return {
    mounts: site.kv.adopt ? [] : [site.kv.mount],
    authMounts: site.approle.adopt ? [] : [site.approle.mount],
    policies: site.policies.map((policy) => policy.name),
    roles: site.roles.map((role) => role.name),
  };
}
