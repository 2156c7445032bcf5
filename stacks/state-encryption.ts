/**
 * OpenTofu's state and plan encryption (1.7+), added to the stack (the block itself is in
 * state-encryption-block.ts). The passphrase is a variable whose value the engine gets from its
 * environment (TF_VAR_…), so it is in no file; OpenTofu evaluates such variables early enough for
 * the encryption block.
 */
import { TerraformStack, TerraformVariable } from './framework.js';
import type { MaasVaultConfig } from '../config/index.js';
import { encryptionBlock, PASSPHRASE_VARIABLE } from './state-encryption-block.js';

export function addStateEncryption(stack: TerraformStack, config: Pick<MaasVaultConfig, 'state'>): void {
  if (!config.state.encryption) return;
  const variable = new TerraformVariable(stack, PASSPHRASE_VARIABLE, {
    type: 'string',
    sensitive: true,
    description: `State passphrase, from the environment variable ${config.state.encryption.passphraseEnv} (OpenTofu only)`,
  });
  variable.overrideLogicalId(PASSPHRASE_VARIABLE);
  stack.addOverride('terraform.encryption', encryptionBlock());
}
