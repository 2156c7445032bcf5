/** plan and apply refuse a token whose admin policy was rendered for another config, before the engine runs. */
import type { MaasVaultConfig } from '../../config/index.js';
import type { VaultClient } from '../../vault/client.js';
import { AdminPolicyStaleError, checkAdminPolicy, describeAdminPolicyGaps } from '../../vault/admin-policy-check.js';
import type { StatusCheck } from '../../vault/status.js';
import type { Reporter } from '../reporter.js';

export async function requireCurrentAdminPolicy(client: VaultClient, config: MaasVaultConfig, action: string, report: Reporter): Promise<void> {
  const check = await report.step('checking the admin policy', () => checkAdminPolicy(client, config));
  // A token without Vault's default policy may not ask: the engine's own refusal then says what is missing.
  if (!check) return;
  for (const text of check.wider) report.warn(`${text}: ${check.rewrite}`);
  if (!check.current) throw new AdminPolicyStaleError(action, config, check);
}

export const ADMIN_POLICY_SUBJECT = 'admin policy of the token';

/**
 * status: the same check as a finding (drift: apply would be refused, also on a site not created
 * yet; a note for a policy wider than needed). None when all is well or the token may not ask.
 */
export async function adminPolicyStatus(client: VaultClient, config: MaasVaultConfig): Promise<StatusCheck | undefined> {
  const check = await checkAdminPolicy(client, config);
  if (!check || (check.current && check.wider.length === 0)) return undefined;
  const findings = [
    ...(check.current ? [] : [{ kind: 'drift' as const, text: describeAdminPolicyGaps(config, check), fix: 'plan and apply refuse until then' }]),
    ...check.wider.map((text) => ({ kind: 'note' as const, text, fix: check.rewrite })),
  ];
  return { subject: ADMIN_POLICY_SUBJECT, ok: check.current, findings, problems: findings.map(({ text, fix }) => `${text}: ${fix}`) };
}
