/**
 * Adopting a Vault set up by hand from the MAAS docs' page: which existing objects the stack
 * imports (each only until the state holds it), and, before anything is imported, every
 * difference between what exists and what the config asks for, in words. Only reads Vault.
 */
import { adoptedRoles, formatDuration, roleName, type MaasVaultConfig } from '../config/index.js';
import { desiredSite, type DesiredRole, type DesiredSite } from '../site/site.js';
import { policyDifference, roleDrift, type FieldDifference, type LiveRole } from '../site/compare.js';
import { ADOPTABLE, stateKey, type StackImports } from '../stacks/import-ids.js';
import type { VaultClient } from './client.js';
import { APPROLE_MOUNT, listSecretIdAccessors, lookupSecretIdAccessor, readRole } from './approle.js';
import { readPolicy } from './acl-policy.js';
import { readKvConfig, readMounts } from './mounts.js';
import { allInOrder } from './in-order.js';

export interface AdoptionPlan {
  imports: StackImports;
  /** One line per object the stack imports, e.g. `role maas-region-1 (controller region-1)`. */
  importing: string[];
  /** What apply will change on the imported objects, and why it matters to MAAS. */
  differences: string[];
  /** Adopted names that exist nowhere yet: apply creates them. */
  creating: string[];
}

/** The config and Vault disagree in a way apply must not paper over; nothing was written. */
export class AdoptionError extends Error {
  override name = 'AdoptionError';
  readonly exitCode = 2;
}

/** True when the stack has something to import (an empty set synthesizes as no adoption at all). */
export function hasImports(imports: StackImports): boolean {
  return imports.roles.size > 0 || imports.policy;
}

export function isAdopting(config: MaasVaultConfig): boolean {
  return adoptedRoles(config).size > 0 || config.policy.adopt;
}

/** Mounts and auth methods this work directory owns: in its state, or set out to create by a run that did not finish. */
export interface OwnedMounts {
  mounts: readonly string[];
  authMounts: readonly string[];
}

/**
 * `managed`: `<type> <id>` of what the state holds (see engine/state.ts resourceIds);
 * `owned`: the mounts this site owns, which are no conflict when the config does not adopt them.
 */
export async function planAdoption(
  client: VaultClient,
  config: MaasVaultConfig,
  managed: ReadonlySet<string>,
  owned: OwnedMounts = { mounts: [], authMounts: [] },
): Promise<AdoptionPlan> {
  const plan: AdoptionPlan = { imports: { roles: new Set(), policy: false }, importing: [], differences: [], creating: [] };
  const site = desiredSite(config);
  await allInOrder([checkApprole(client, config, managed, owned), checkKv(client, config, managed, owned, plan)]);
  await checkPolicy(client, config, site, managed, plan);
  // Read concurrently, reported in the config's order.
  const roles = await allInOrder([...adoptedRoles(config)].map(([controller, role]) => readAdoptedRole(client, config, managed, controller, role)));
  // controllers[].role adopts a role that exists: a missing one is a typo or the wrong Vault, and
  // creating it would hand the region a new role ID it was never configured with.
  const missing = roles.filter((role): role is NonNullable<typeof role> => role !== undefined && role.live === undefined);
  if (missing.length > 0) {
    const list = await client.cliCommand(`list auth/${config.approle.mount}/role`);
    throw new AdoptionError(
      missing
        .map(({ controller, role }) => {
          const index = config.controllers.findIndex((entry) => entry.name === controller);
          return (
            `controllers[${index}].role: there is no AppRole role ${role} under auth/${config.approle.mount}/ to adopt (nothing was changed): ` +
            `fix the name (${list}), or remove "role" to let the stack create ${roleName({ site: config.site }, controller)}`
          );
        })
        .join('\n'),
    );
  }
  for (const role of roles) {
    if (role === undefined || role.live === undefined) continue;
    plan.imports.roles = new Set([...plan.imports.roles, role.controller]);
    plan.importing.push(`role ${role.role} (controller ${role.controller}): role ID and secret IDs kept`);
    plan.differences.push(...roleDifferences(config, desiredRoleOf(site, role.controller), role.live));
  }
  return plan;
}

async function checkApprole(client: VaultClient, config: MaasVaultConfig, managed: ReadonlySet<string>, owned: OwnedMounts): Promise<void> {
  const mount = config.approle.mount;
  const existing = (await readMounts(client, 'auth')).get(mount);
  if (config.approle.adopt) {
    if (!existing)
      throw new AdoptionError(
        `approle.adopt: no auth method is enabled at ${mount}/: enable it (${await client.cliCommand('auth enable approle')}) ` +
          'or set approle.adopt: false to let the stack create it',
      );
    if (existing.type !== 'approle')
      throw new AdoptionError(`approle.adopt: the auth method at ${mount}/ is of type ${existing.type}, not approle: MAAS cannot log in there`);
  } else if (existing && !managed.has(stateKey('vault_auth_backend', mount)) && !owned.authMounts.includes(mount)) {
    throw new AdoptionError(
      `approle.adopt: an auth method is already enabled at ${mount}/ (set up by hand, or by another site): set approle.adopt: true to use it; the stack then never disables it`,
    );
  }
}

async function checkKv(client: VaultClient, config: MaasVaultConfig, managed: ReadonlySet<string>, owned: OwnedMounts, plan: AdoptionPlan): Promise<void> {
  const mount = config.kv.mount;
  const existing = (await readMounts(client, 'secrets')).get(mount);
  if (!config.kv.adopt) {
    if (existing && !managed.has(stateKey('vault_mount', mount)) && !owned.mounts.includes(mount)) {
      throw new AdoptionError(
        `kv.adopt: ${mount}/ is already mounted (set up by hand, or by another site): set kv.adopt: true to use it; the stack then never unmounts it or its data`,
      );
    }
    return;
  }
  if (!existing) throw new AdoptionError(`kv.adopt: nothing is mounted at ${mount}/: fix kv.mount, or set kv.adopt: false to let the stack create it`);
  if (existing.type !== 'kv' || existing.options?.version !== '2') {
    throw new AdoptionError(
      `kv.mount: ${mount}/ is ${existing.type} version ${existing.options?.version ?? '1'}, not KV version 2, which MAAS needs: pick a KV-v2 mount`,
    );
  }
  // An adopted mount's settings are not imported: apply writes only cas_required=false and the
  // settings the config names (kv.maxVersions), and leaves the rest, the mount and its data alone.
  const settings = await readKvConfig(client, mount);
  if (settings?.cas_required) {
    plan.differences.push(`KV mount ${mount}/ has cas_required=true: MAAS writes without check-and-set, so every write would fail; apply sets false`);
  }
  const maxVersions = config.kv.maxVersions;
  if (maxVersions !== undefined && settings?.max_versions !== maxVersions) {
    plan.differences.push(
      `KV mount ${mount}/ keeps max_versions=${settings?.max_versions ?? 0}; the config asks for kv.maxVersions ${maxVersions}: apply sets it`,
    );
  }
}

async function checkPolicy(client: VaultClient, config: MaasVaultConfig, site: DesiredSite, managed: ReadonlySet<string>, plan: AdoptionPlan): Promise<void> {
  const name = config.policy.name;
  if (!config.policy.adopt || managed.has(stateKey(ADOPTABLE.policy.type, ADOPTABLE.policy.id(name)))) return;
  const live = await readPolicy(client, name);
  if (live === undefined) {
    plan.creating.push(`policy ${name} does not exist: apply creates it (policy.adopt has nothing to adopt)`);
    return;
  }
  plan.imports = { ...plan.imports, policy: true };
  plan.importing.push(`policy ${name}`);
  const difference = policyDifference(
    site.policies.find((policy) => policy.adopted)!,
    live,
  );
  if (difference.kind === 'grants') {
    plan.differences.push(
      `policy ${name} grants other paths or capabilities than the ${config.policy.profile} profile for ${config.kv.mount}/${config.secretsPath} ` +
        '(`maas-vault policy maas` prints it): apply replaces its text',
    );
  } else if (difference.kind === 'layout') {
    plan.differences.push(`policy ${name} grants exactly what the config asks; apply rewrites its text in maas-vault's layout (comments and spacing only)`);
  }
}

/** An adopted role the state does not hold yet, as Vault has it (undefined `live`: it does not exist). */
async function readAdoptedRole(
  client: VaultClient,
  config: MaasVaultConfig,
  managed: ReadonlySet<string>,
  controller: string,
  role: string,
): Promise<{ controller: string; role: string; live?: LiveRole } | undefined> {
  if (managed.has(stateKey(ADOPTABLE.role.type, ADOPTABLE.role.id(config.approle.mount, role)))) return undefined;
  const live = await readRole(client, APPROLE_MOUNT, role);
  if (!live) return { controller, role };
  const owner = await otherSiteOf(client, config, role);
  if (owner !== undefined) {
    const index = config.controllers.findIndex((entry) => entry.name === controller);
    throw new AdoptionError(
      `controllers[${index}].role: role ${role} holds secret IDs that maas-vault issued for site "${owner}": it belongs to that site, ` +
        "and adopting it here would let this site change or destroy it. Name this controller's own role",
    );
  }
  return { controller, role, live };
}

/** How many secret IDs are looked at to tell whose a role is: enough to find maas-vault's metadata, bounded for busy roles. */
const OWNER_SAMPLE = 10;

/** The site named in the metadata of the role's secret IDs, when maas-vault issued them for another site. */
async function otherSiteOf(client: VaultClient, config: MaasVaultConfig, role: string): Promise<string | undefined> {
  const accessors = (await listSecretIdAccessors(client, role)).slice(0, OWNER_SAMPLE);
  const sites = await allInOrder(
    accessors.map(async (accessor) => {
      const found = await lookupSecretIdAccessor(client, role, accessor, [400, 404]);
      return found.data?.metadata?.site;
    }),
  );
  return sites.find((site) => typeof site === 'string' && site !== config.site);
}

/** The controller's role under the current names: the one a hand-made set-up's role is adopted as. */
export function desiredRoleOf(site: DesiredSite, controller: string): DesiredRole {
  return site.roles.find((role) => role.kind === 'controller' && role.names === 'current' && role.controller === controller)!;
}

type Phrase = (difference: FieldDifference, config: MaasVaultConfig) => string;

const duration = (value: unknown) => (value === 0 ? '0 (Vault default)' : formatDuration(Number(value)));
const list = (value: unknown) => `[${(value as string[]).join(', ')}]`;
const cidrs: Phrase = ({ field, actual, expected }) =>
  `has ${field}=${list(actual)}: the config asks for ${list(expected)} (controllers[].cidrs); apply sets it${(expected as string[]).length > 0 ? ': make sure the region logs in from there' : ''}`;

/**
 * What a difference means for MAAS, in the order the plan lists them; a setting without its own
 * words is said plainly (`has FIELD=VALUE: apply sets EXPECTED`).
 */
const PHRASES: Partial<Record<string, Phrase>> = {
  token_policies: ({ actual, expected }) =>
    `grants policies ${list(actual)}: the config grants only ${list(expected).slice(1, -1)}; apply sets token_policies=${list(expected)}`,
  secret_id_num_uses: ({ actual }) =>
    `has secret_id_num_uses=${String(actual)}: MAAS logs in again with the same secret_id whenever its token nears expiry, so it would lock itself out after ${String(actual)} login${actual === 1 ? '' : 's'} (its next token expiry); apply sets 0`,
  token_num_uses: ({ actual }) => `has token_num_uses=${String(actual)}: each MAAS token would stop working after ${String(actual)} requests; apply sets 0`,
  secret_id_ttl: ({ actual, expected }, config) =>
    `has secret_id_ttl=${duration(actual)}: ${expected === 0 ? 'MAAS would be locked out once its secret ID expires; apply sets 0 (never expires)' : `the config asks for secretIdTtl ${config.secretIdTtl}; apply sets it`}`,
  bind_secret_id: () => 'has bind_secret_id=false: anyone who knows the role ID can log in; apply requires a secret ID',
  token_no_default_policy: () =>
    "has token_no_default_policy=true: MAAS calls auth/token/lookup-self, which Vault's default policy grants; apply attaches default again",
  token_ttl: ({ actual }, config) => `gives tokens a TTL of ${duration(actual)}: the config asks for tokenTtl ${config.tokenTtl}; apply sets it`,
  token_max_ttl: ({ actual }, config) =>
    `has token_max_ttl=${duration(actual)}: the config asks for ${config.tokenMaxTtl ?? "Vault's default (tokenMaxTtl unset)"}; apply sets it`,
  token_explicit_max_ttl: ({ actual }) => `has token_explicit_max_ttl=${duration(actual)}: MAAS tokens could not be renewed past it; apply sets 0`,
  token_period: ({ actual }) => `has token_period=${duration(actual)} (periodic tokens): apply sets 0`,
  token_type: ({ actual }) =>
    actual === 'batch'
      ? 'issues batch tokens: MAAS renews its token and calls lookup-self, which batch tokens do not support; apply sets token_type=default'
      : `has token_type=${String(actual)}: apply sets token_type=default`,
  token_bound_cidrs: cidrs,
  secret_id_bound_cidrs: cidrs,
};
const ORDER = Object.keys(PHRASES);
const plainly: Phrase = ({ field, actual, expected }) => `has ${field}=${JSON.stringify(actual)}: apply sets ${JSON.stringify(expected)}`;

/** Each setting of a live role that apply would change (site/compare.ts), with what it means for MAAS. */
export function roleDifferences(config: MaasVaultConfig, role: DesiredRole, live: LiveRole): string[] {
  const rank = (field: string) => (ORDER.includes(field) ? ORDER.indexOf(field) : ORDER.length);
  return roleDrift(role, live)
    .sort((a, b) => rank(a.field) - rank(b.field))
    .map((difference) => `role ${role.name} ${(PHRASES[difference.field] ?? plainly)(difference, config)}`);
}
