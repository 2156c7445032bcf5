/**
 * OpenTofu's state and plan encryption (1.7+): pbkdf2 turns a passphrase into the key, aes_gcm
 * encrypts, `enforced` refuses to write either in clear. The passphrase is a variable whose value
 * the engine gets from its environment (TF_VAR_…), so it is in no file; OpenTofu evaluates such
 * variables early enough for the encryption block.
 */
import { TerraformStack, TerraformVariable } from 'cdktf';
import type { MaasVaultConfig } from '../config/index.js';

export const PASSPHRASE_VARIABLE = 'maas_vault_state_passphrase';

export function addStateEncryption(stack: TerraformStack, config: Pick<MaasVaultConfig, 'state'>): void {
  if (!config.state.encryption) return;
  const variable = new TerraformVariable(stack, PASSPHRASE_VARIABLE, {
    type: 'string',
    sensitive: true,
    description: `State passphrase, from the environment variable ${config.state.encryption.passphraseEnv} (OpenTofu only)`,
  });
  variable.overrideLogicalId(PASSPHRASE_VARIABLE);
  stack.addOverride('terraform.encryption', {
    key_provider: { pbkdf2: { passphrase: { passphrase: `\${var.${PASSPHRASE_VARIABLE}}` } } },
    method: { aes_gcm: { state: { keys: '${key_provider.pbkdf2.passphrase}' } } },
    // `method` takes a static reference, which JSON syntax writes as a bare string.
    state: { method: 'method.aes_gcm.state', enforced: true },
    plan: { method: 'method.aes_gcm.state', enforced: true },
  });
}
