/**
 * The provider's Vault address as a variable whose default is the config's: a plain `terraform
 * apply` of the synthesized JSON reaches the same Vault, and maas-vault can hand the engine a
 * cluster's active node instead (TF_VAR_vault_address) without synthesizing again. See
 * vault/active-node.ts for why.
 */
import { TerraformStack, TerraformVariable } from './framework.js';
import { PROVIDER_ADDRESS_VARIABLE } from './provider-address-variable.js';

export function providerAddress(stack: TerraformStack, configured: string): string {
  const variable = new TerraformVariable(stack, PROVIDER_ADDRESS_VARIABLE, {
    type: 'string',
    default: configured,
    description: "Vault's API address for the provider: the config's, or the active node of its cluster when maas-vault routes the engine there",
  });
  variable.overrideLogicalId(PROVIDER_ADDRESS_VARIABLE);
  return variable.stringValue;
}
