import type { DesiredRole } from '../../site/site.js';
import { stableId } from '../logical-id.js';
import { ApproleAuthBackendRole, type ApproleAuthBackendRoleConfig, type Construct } from '../framework.js';

/** `token_policies` -> `tokenPolicies`: the bindings spell Vault's field names in camel case. */
function bindingName(field: string): string {
  return field.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

/**
 * The AppRole role of a desired role, with exactly the settings the description says the stack
 * writes. `policy` is the policy resource's name (a reference, so the role waits for its policy).
 */
export function siteRole(scope: Construct, backend: string, role: DesiredRole, policy: string): ApproleAuthBackendRole {
  const settings = Object.fromEntries(Object.entries(role.written).map(([field, value]) => [bindingName(field), value]));
  const config: ApproleAuthBackendRoleConfig = { ...settings, backend, roleName: role.name, tokenPolicies: [policy] };
  return stableId(scope, 'role', new ApproleAuthBackendRole(scope, 'role', config));
}
