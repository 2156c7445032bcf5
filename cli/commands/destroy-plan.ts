/**
 * What destroy would delete, worked out from the state before anyone is asked. The AppRole auth
 * method is shared by every site on a Vault (MAAS logs in at auth/approle only): a site that
 * enabled it must not disable it while roles it does not own live under it.
 */
import type { MaasVaultConfig } from '../../config/index.js';
import type { VaultClient } from '../../vault/client.js';
import { covers, describePrefix, grantsOn, readPolicies, type GrantedPath } from '../../vault/granted-paths.js';
import { listRoles, ownPolicyNames } from '../../vault/preflight.js';
import { resourcesFootprint, trimPath } from '../../engine/footprint.js';
import type { StateResource } from '../../engine/state.js';
import { countSecrets, describeTops, PlanGuardError, type Held } from './plan-guard.js';

export interface DestroyPlan {
  /** Managed resources in the state. */
  resources: number;
  roles: string[];
  policies: string[];
  /** KV mounts this site created (adopted ones are not in this list: they stay). */
  mounts: string[];
  /** The auth method this site created, disabled by destroy unless it must be kept. */
  approleCreated: boolean;
  /** Set when others' roles live under the approle this site created: it is forgotten, not disabled. */
  keepApprole?: { address: string; otherRoles: string[] };
  /** Set when kv.adopt now says the mount this site created is not its own: forgotten, not deleted. */
  keepKv?: { addresses: string[] };
  /**
   * Mounts this site created that hold secrets outside its secretsPath (another site that adopted
   * the mount, another application): kept and forgotten whatever the flags. `own` are this
   * site's own keys in them, deleted only with --delete-secrets.
   */
  keepShared: SharedMount[];
}

export interface SharedMount {
  mount: string;
  addresses: string[];
  others: Map<string, number>;
  othersTotal: number;
  /** The listing stopped before the end: what else it holds is not known, so it is kept. */
  partial: boolean;
  own: string[];
  /** The other policies that grant on paths the others' data lies under: whose it is. */
  grantedBy: string[];
}

/** What destroy removes from the state without touching Vault, before it plans. */
export function forgottenAddresses(plan: DestroyPlan): string[] {
  return [...(plan.keepApprole ? [plan.keepApprole.address] : []), ...(plan.keepKv?.addresses ?? []), ...plan.keepShared.flatMap((shared) => shared.addresses)];
}

export async function destroyPlan(client: VaultClient, config: MaasVaultConfig, resources: StateResource[]): Promise<DestroyPlan> {
  const owned = resourcesFootprint(resources);
  const approle = resources.find(
    (resource) =>
      resource.type === 'vault_auth_backend' &&
      resource.instances.some((instance) => trimPath(attributeText(instance.attributes?.path)) === config.approle.mount),
  );
  // kv.adopt set on a mount this site's state created: the admin now says it is not this site's to delete.
  const adoptedKv = config.kv.adopt ? mountResources(resources, config.kv.mount) : [];
  const created = adoptedKv.length > 0 ? owned.mounts.filter((mount) => mount !== config.kv.mount) : owned.mounts;
  // What each mount holds, listed before anyone is asked and before any write (key names only).
  const keepShared: SharedMount[] = [];
  for (const [mount, { held, grantedBy }] of await listHoldings(client, config, created, owned.policies)) {
    if (!isSomeoneElses({ held, grantedBy })) continue;
    const addresses = mountResources(resources, mount).map((resource) => `${resource.type}.${resource.name}`);
    const othersTotal = [...held.others.values()].reduce((sum, count) => sum + count, 0);
    keepShared.push({ mount, addresses, others: held.others, othersTotal, partial: held.partial, own: held.own, grantedBy });
  }
  const plan: DestroyPlan = {
    resources: resources.length,
    roles: owned.roles,
    policies: owned.policies,
    mounts: created.filter((mount) => !keepShared.some((shared) => shared.mount === mount)),
    approleCreated: approle !== undefined,
    ...(adoptedKv.length > 0 ? { keepKv: { addresses: adoptedKv.map((resource) => `${resource.type}.${resource.name}`) } } : {}),
    keepShared,
  };
  if (approle && config.approle.adopt) plan.keepApprole = { address: `${approle.type}.${approle.name}`, otherRoles: [] };
  else if (approle) {
    const otherRoles = (await listRoles(client, config.approle.mount)).filter((role) => !owned.roles.includes(role));
    if (otherRoles.length > 0) plan.keepApprole = { address: `${approle.type}.${approle.name}`, otherRoles };
  }
  return plan;
}

/**
 * Right before the engine deletes the mounts destroy listed: what was written into them since (by
 * another application, or a site that adopted the mount while the plan ran or the prompt waited),
 * keys or a policy granting on them, keeps them. The same test as the first listing's; refused
 * rather than deleted, before the engine changes anything.
 */
export async function refuseNewNeighbours(client: VaultClient, config: MaasVaultConfig, plan: DestroyPlan, changedAlready: string | undefined): Promise<void> {
  for (const [mount, holding] of await listHoldings(client, config, plan.mounts, plan.policies)) {
    if (!isSomeoneElses(holding)) continue;
    throw new PlanGuardError(
      `destroy refused: ${describeNewNeighbour(config, mount, holding)}. ` +
        `The engine deleted nothing${changedAlready ? ` (${changedAlready})` : ''}. Run \`maas-vault destroy\` again: it keeps that mount for them`,
    );
  }
}

/** What one listing found in a created mount, and whose it is. */
export interface Holding {
  held: Held;
  /** The grants of other policies on paths under the mount (a grant on the whole mount is an operator's, not a site's). */
  grants: GrantedPath[];
  /** The other policies that grant on the mount or on the paths others' keys lie under: whose it is. */
  grantedBy: string[];
}

/**
 * Whether a mount this site created is someone else's too, so destroy must not delete it: it holds
 * keys of others, the listing stopped before the end (what else it holds is not known), or another
 * site's policy grants on it (that site's regions have stored nothing yet, but would lose their mount).
 */
export function isSomeoneElses(holding: Pick<Holding, 'held' | 'grantedBy'>): boolean {
  return holding.held.others.size > 0 || holding.held.partial || holding.grantedBy.length > 0;
}

/**
 * One listing of the mounts destroy would delete: the keys of each (names only), then the ACL
 * policies, read once for all the mounts.
 */
async function listHoldings(client: VaultClient, config: MaasVaultConfig, mounts: readonly string[], policies: string[]): Promise<Map<string, Holding>> {
  const held = new Map<string, Held>();
  for (const mount of mounts) held.set(mount, await countSecrets(client, mount, { ownPath: config.secretsPath, command: 'destroy' }));
  if (mounts.length === 0) return new Map();
  const texts = await readPolicies(client, ownPolicyNames(config, { policies }));
  return new Map([...held].map(([mount, keys]) => [mount, whose(keys, grantsOn(texts, mount))]));
}

/**
 * Whose the keys of a mount are: a key under this site's secretsPath is still another's when
 * another policy grants on a path that covers it (a site nested at `maas/dc2` under this site's
 * `maas`, set up by hand: apply refuses that). Such keys count as others' data, never as own.
 */
export function whose(held: Held, grantsOnMount: readonly GrantedPath[]): Holding {
  const grants = grantsOnMount.filter((grant) => grant.prefix !== '');
  const grantedBy = new Set<string>();
  const own: string[] = [];
  const others = new Map(held.others);
  for (const key of held.own) {
    const grant = grants.filter((candidate) => covers(candidate.prefix, key)).sort((a, b) => b.prefix.length - a.prefix.length)[0];
    if (grant === undefined) {
      own.push(key);
      continue;
    }
    grantedBy.add(grant.policy);
    const top = grant.prefix.replace(/\/+$/, '');
    others.set(top, (others.get(top) ?? 0) + 1);
  }
  for (const grant of grants) grantedBy.add(grant.policy);
  return { held: { ...held, own, others }, grants, grantedBy: [...grantedBy].sort() };
}

/** What the second listing found that the first did not: others' keys, or another site's grant. */
function describeNewNeighbour(config: MaasVaultConfig, mount: string, { held, grants }: Holding): string {
  if (held.others.size > 0 || held.partial) {
    const total = [...held.others.values()].reduce((sum, count) => sum + count, 0);
    const what =
      held.others.size > 0
        ? `${held.partial ? 'at least ' : ''}${secrets(total)} outside this site's secretsPath ${config.secretsPath}/ (${describeTops(held.others)})`
        : 'more keys than destroy lists';
    return `the KV mount ${mount}/ now holds ${what}, written after destroy listed it (another site or application uses it)`;
  }
  const policies = [...new Set(grants.map((grant) => grant.policy))].sort();
  const paths = [...new Set(grants.map((grant) => describePrefix(mount, grant.prefix)))].sort();
  return (
    `the polic${policies.length === 1 ? 'y' : 'ies'} ${sample(policies)} now grant${policies.length === 1 ? 's' : ''} on ${sample(paths)}, ` +
    `written after destroy listed the KV mount ${mount}/ (another site adopted it: its regions would lose their mount)`
  );
}

/** The plan in words, warning first: what is deleted, what stays, and what MAAS loses. */
export function describeDestroyPlan(config: MaasVaultConfig, plan: DestroyPlan): string[] {
  const lines = [`destroy of site ${config.site} will delete:`];
  if (plan.roles.length > 0)
    lines.push(
      `  - ${plan.roles.length} AppRole role${plan.roles.length === 1 ? '' : 's'} (${sample(plan.roles)}) and every secret ID of them: no region controller of this site can log in again`,
    );
  for (const policy of plan.policies) lines.push(`  - the policy ${policy}`);
  for (const mount of plan.mounts) lines.push(`  - the KV mount ${mount}/ and EVERY SECRET IN IT (refused while it holds secrets, unless --delete-secrets)`);
  if (plan.approleCreated && !plan.keepApprole) lines.push(`  - the auth method ${config.approle.mount}/ (no other roles live under it)`);
  if (plan.keepApprole && plan.keepApprole.otherRoles.length === 0) {
    lines.push(`and keep: the auth method ${config.approle.mount}/ (approle.adopt is set: this site stops managing it, Vault keeps it)`);
  } else if (plan.keepApprole) {
    const others = plan.keepApprole.otherRoles;
    lines.push(
      `and keep: the auth method ${config.approle.mount}/, since ${others.length} role${others.length === 1 ? '' : 's'} of others live under it (${sample(others)})`,
    );
  }
  if (config.kv.adopt) lines.push(`and keep: the adopted KV mount ${config.kv.mount}/, its data and its settings (cas_required stays false)`);
  for (const shared of plan.keepShared)
    lines.push(`and keep: the KV mount ${shared.mount}/ and all its data: ` + `${whoseData(config, shared)}; this site stops managing it`);
  lines.push('If MAAS was migrated to this Vault (`maas config-vault migrate`), MAAS loses its secrets.');
  return lines;
}

/** Why a created mount is kept: the data of others in it, with counts per top-level path. */
export function whoseData(config: MaasVaultConfig, shared: SharedMount): string {
  if (shared.others.size === 0 && !shared.partial) {
    return `it holds no secret of others yet, but it is granted by the polic${shared.grantedBy.length === 1 ? 'y' : 'ies'} ${sample(shared.grantedBy)} (another site's regions would lose their mount)`;
  }
  if (shared.others.size === 0) return `it holds more keys than destroy lists (${shared.own.length} of this site's seen), so others' data may be in it`;
  const nested = [...shared.others.keys()].some((top) => top.startsWith(`${config.secretsPath}/`));
  const where = nested
    ? `that are not this site's (under another site's path inside its secretsPath ${config.secretsPath}/, or outside it)`
    : `outside this site's secretsPath ${config.secretsPath}/`;
  const others = `${shared.partial ? 'at least ' : ''}${secrets(shared.othersTotal)} ${where} (${describeTops(shared.others)})`;
  const whose = shared.grantedBy.length > 0 ? `granted by the polic${shared.grantedBy.length === 1 ? 'y' : 'ies'} ${sample(shared.grantedBy)}` : undefined;
  return `it holds ${others}: ${whose ?? "another site's (that adopted it) or another application's"}`;
}

export function secrets(count: number): string {
  return `${count} secret${count === 1 ? '' : 's'}`;
}

function mountResources(resources: StateResource[], mount: string): StateResource[] {
  return resources.filter(
    (resource) =>
      (resource.type === 'vault_mount' || resource.type === 'vault_kv_secret_backend_v2') &&
      resource.instances.some((instance) => trimPath(attributeText(instance.attributes?.path ?? instance.attributes?.mount)) === mount),
  );
}

function sample(names: string[]): string {
  return names.slice(0, 5).join(', ') + (names.length > 5 ? `, and ${names.length - 5} more` : '');
}

/** A state attribute read as the path it names: anything but a string names none. */
function attributeText(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
