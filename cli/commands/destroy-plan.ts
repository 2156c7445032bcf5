/**
 * What destroy would delete, worked out from the state before anyone is asked. The AppRole auth
 * method is shared by every site on a Vault (MAAS logs in at auth/approle only): a site that
 * enabled it must not disable it while roles it does not own live under it.
 */
import type { MaasVaultConfig } from '../../config/index.js';
import type { VaultClient } from '../../vault/client.js';
import { listRoles } from '../../vault/preflight.js';
import { resourcesFootprint, trimPath } from '../../engine/footprint.js';
import type { StateResource } from '../../engine/state.js';

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
}

/** What destroy removes from the state without touching Vault, before it plans. */
export function forgottenAddresses(plan: DestroyPlan): string[] {
  return [...(plan.keepApprole ? [plan.keepApprole.address] : []), ...(plan.keepKv?.addresses ?? [])];
}

export async function destroyPlan(client: VaultClient, config: MaasVaultConfig, resources: StateResource[]): Promise<DestroyPlan> {
  const owned = resourcesFootprint(resources);
  const approle = resources.find(
    (resource) => resource.type === 'vault_auth_backend' && resource.instances.some((instance) => trimPath(String(instance.attributes?.path ?? '')) === config.approle.mount),
  );
  // kv.adopt set on a mount this site's state created: the admin now says it is not this site's to delete.
  const adoptedKv = config.kv.adopt
    ? resources.filter((resource) => (resource.type === 'vault_mount' || resource.type === 'vault_kv_secret_backend_v2') && resource.instances.some((instance) => trimPath(String(instance.attributes?.path ?? instance.attributes?.mount ?? '')) === config.kv.mount))
    : [];
  const plan: DestroyPlan = {
    resources: resources.length,
    roles: owned.roles,
    policies: owned.policies,
    mounts: adoptedKv.length > 0 ? owned.mounts.filter((mount) => mount !== config.kv.mount) : owned.mounts,
    approleCreated: approle !== undefined,
    ...(adoptedKv.length > 0 ? { keepKv: { addresses: adoptedKv.map((resource) => `${resource.type}.${resource.name}`) } } : {}),
  };
  if (approle && config.approle.adopt) plan.keepApprole = { address: `${approle.type}.${approle.name}`, otherRoles: [] };
  else if (approle) {
    const otherRoles = (await listRoles(client, config.approle.mount)).filter((role) => !owned.roles.includes(role));
    if (otherRoles.length > 0) plan.keepApprole = { address: `${approle.type}.${approle.name}`, otherRoles };
  }
  return plan;
}

/** The plan in words, warning first: what is deleted, what stays, and what MAAS loses. */
export function describeDestroyPlan(config: MaasVaultConfig, plan: DestroyPlan): string[] {
  const lines = [`destroy of site ${config.site} will delete:`];
  if (plan.roles.length > 0) lines.push(`  - ${plan.roles.length} AppRole role${plan.roles.length === 1 ? '' : 's'} (${sample(plan.roles)}) and every secret ID of them: no region controller of this site can log in again`);
  for (const policy of plan.policies) lines.push(`  - the policy ${policy}`);
  for (const mount of plan.mounts) lines.push(`  - the KV mount ${mount}/ and EVERY SECRET IN IT (refused while it holds secrets, unless --delete-secrets)`);
  if (plan.approleCreated && !plan.keepApprole) lines.push(`  - the auth method ${config.approle.mount}/ (no other roles live under it)`);
  if (plan.keepApprole && plan.keepApprole.otherRoles.length === 0) {
    lines.push(`and keep: the auth method ${config.approle.mount}/ (approle.adopt is set: this site stops managing it, Vault keeps it)`);
  } else if (plan.keepApprole) {
    const others = plan.keepApprole.otherRoles;
    lines.push(`and keep: the auth method ${config.approle.mount}/, since ${others.length} role${others.length === 1 ? '' : 's'} of others live under it (${sample(others)})`);
  }
  if (config.kv.adopt) lines.push(`and keep: the adopted KV mount ${config.kv.mount}/, its data and its settings (cas_required stays false)`);
  lines.push('If MAAS was migrated to this Vault (`maas config-vault migrate`), MAAS loses its secrets.');
  return lines;
}

function sample(names: string[]): string {
  return names.slice(0, 5).join(', ') + (names.length > 5 ? `, and ${names.length - 5} more` : '');
}
