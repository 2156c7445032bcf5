import type { Construct, TerraformElement } from './framework.js';

/**
 * Gives a resource the address `<construct id>_<leaf>` instead of cdktf's hash-suffixed one, so
 * state addresses stay readable (`vault_approle_auth_backend_role.controller_region-1_role`) and
 * survive refactors of the construct tree.
 */
export function stableId<T extends TerraformElement>(scope: Construct, leaf: string, element: T): T {
  element.overrideLogicalId(`${scope.node.id}_${leaf}`);
  return element;
}
