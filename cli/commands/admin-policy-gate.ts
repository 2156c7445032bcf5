/**
 * plan and apply refuse, before the engine runs, a token whose admin policy was rendered for another
 * config (exit 2) or that holds none of the site (a permission denied, exit 1).
 */
import { roleName, type MaasVaultConfig } from '../../config/index.js';
import type { StateResource } from '../../engine/state.js';
import { trimPath } from '../../engine/footprint.js';
import type { VaultClient } from '../../vault/client.js';
import {
  AdminPolicyMissingError,
  AdminPolicyStaleError,
  checkAdminPolicy,
  checkDeleteGrants,
  checkSecretIdGrants,
  DeleteGrantsError,
  describeAdminPolicyGaps,
  SecretIdGrantsError,
  type DeleteProbe,
} from '../../vault/admin-policy-check.js';
import type { StatusCheck } from '../../vault/status.js';
import type { Reporter } from '../reporter.js';

export async function requireCurrentAdminPolicy(client: VaultClient, config: MaasVaultConfig, action: string, report: Reporter): Promise<void> {
  const check = await report.step('checking the admin policy', () => checkAdminPolicy(client, config));
  // A token without Vault's default policy may not ask: the engine's own refusal then says what is missing.
  if (!check) return;
  for (const text of check.wider) report.warn(`${text}: ${check.rewrite}`);
  if (check.noAdminPolicy) throw new AdminPolicyMissingError(action, config, check);
  if (!check.current) throw new AdminPolicyStaleError(action, config, check);
}

/**
 * destroy, before it lists what the mounts hold: a token holding no admin policy of the site at all
 * is a permission denied (exit 1), as for plan and apply. A stale one is not refused here: what the
 * state holds, not the config, decides what destroy needs (requireDeletableState).
 */
export async function requireAnAdminPolicy(client: VaultClient, config: MaasVaultConfig, action: string): Promise<void> {
  const check = await checkAdminPolicy(client, config);
  if (check?.noAdminPolicy) throw new AdminPolicyMissingError(action, config, check);
}

export const ADMIN_POLICY_SUBJECT = 'admin policy of the token';

/**
 * status: the same check as a finding. Drift when the token holds this site's admin policy
 * rendered for another config (apply would be refused; on a site not created yet too); a note for
 * one wider than needed. None when all is well, when the token holds no admin policy of the site
 * (a token that only reads may run status), or when it may not ask.
 */
export async function adminPolicyStatus(client: VaultClient, config: MaasVaultConfig): Promise<StatusCheck | undefined> {
  const check = await checkAdminPolicy(client, config);
  if (!check || check.noAdminPolicy || (check.current && check.wider.length === 0)) return undefined;
  const findings = [
    ...(check.current ? [] : [{ kind: 'drift' as const, text: describeAdminPolicyGaps(config, check), fix: 'plan and apply refuse until then' }]),
    ...check.wider.map((text) => ({ kind: 'note' as const, text, fix: check.rewrite })),
  ];
  return { subject: ADMIN_POLICY_SUBJECT, ok: check.current, findings, problems: findings.map(({ text, fix }) => `${text}: ${fix}`) };
}

/** credentials and rotate: every controller asked for can be issued a secret ID by this token, or nothing is issued (exit 2). */
export async function requireSecretIdGrants(client: VaultClient, config: MaasVaultConfig, controllers: readonly string[], action: string): Promise<void> {
  const check = await checkSecretIdGrants(
    client,
    config,
    controllers.map((name) => ({ name, role: roleName(config, name) })),
  );
  if (check && check.gaps.length > 0) throw new SecretIdGrantsError(action, config, check);
}

/**
 * destroy, before the engine first runs: the probes come from what the state holds (a config
 * edited since names other objects), so a token whose policy cannot refresh or delete one of them
 * is refused (exit 2) rather than stopping the engine partway. What destroy keeps and forgets
 * (`kept`, by address) is only refreshed, never deleted.
 */
export async function requireDeletableState(
  client: VaultClient,
  config: MaasVaultConfig,
  resources: readonly StateResource[],
  kept: readonly string[],
  action: string,
): Promise<void> {
  const probes = resources
    .filter((resource) => resource.mode === 'managed')
    .flatMap((resource) =>
      resource.instances.flatMap((instance) => stateProbes(resource.type, instance.attributes ?? {}, !kept.includes(`${resource.type}.${resource.name}`))),
    );
  if (probes.length === 0) return;
  const check = await checkDeleteGrants(client, config, probes);
  if (check && check.gaps.length > 0) throw new DeleteGrantsError(action, config, check);
}

/** The paths and capabilities terraform-provider-vault needs to refresh (and, when `deleted`, delete) one object of the state. */
function stateProbes(type: string, attributes: Record<string, unknown>, deleted: boolean): DeleteProbe[] {
  const text = (key: string) => (typeof attributes[key] === 'string' ? trimPath(attributes[key]) : '');
  const probe = (path: string, what: string, refresh: string[], remove: string[]): DeleteProbe[] => [
    { path, what, capabilities: [...refresh, ...(deleted ? remove : [])] },
  ];
  const backend = text('backend') || 'approle';
  switch (type) {
    case 'vault_policy':
      return text('name') ? probe(`sys/policies/acl/${text('name')}`, `the policy ${text('name')}`, ['read'], ['delete']) : [];
    case 'vault_approle_auth_backend_role': {
      const role = text('role_name');
      if (!role) return [];
      return [
        ...probe(`auth/${backend}/role/${role}`, `the role ${role}`, ['read'], ['delete']),
        ...probe(`auth/${backend}/role/${role}/role-id`, `the role ID of ${role}`, ['read'], []),
      ];
    }
    case 'vault_approle_auth_backend_role_secret_id': {
      const role = text('role_name');
      if (!role) return [];
      return [
        ...probe(`auth/${backend}/role/${role}/secret-id-accessor/lookup`, `a secret ID of ${role}`, ['update'], []),
        ...(deleted ? probe(`auth/${backend}/role/${role}/secret-id-accessor/destroy`, `a secret ID of ${role}`, [], ['update']) : []),
      ];
    }
    case 'vault_mount':
      return text('path') ? probe(`sys/mounts/${text('path')}`, `the KV mount ${text('path')}/`, [], ['delete']) : [];
    case 'vault_auth_backend':
      // Disabling an auth method is a root-protected path: sudo too.
      return text('path') && deleted ? probe(`sys/auth/${text('path')}`, `the auth method ${text('path')}/`, [], ['delete', 'sudo']) : [];
    default:
      return [];
  }
}
