/**
 * OpenTofu's answers to a state its encryption block cannot open, each as one line: a wrong
 * passphrase (a long decryption error), and a state still in clear (which the enforced block
 * refuses to read, in a message about unencrypted payloads, or about the state lock).
 */
import type { MaasVaultConfig } from '../../config/index.js';
import { engineOutput } from '../../engine/errors.js';

export class StateDecryptionError extends Error {
  override name = 'StateDecryptionError';
  readonly exitCode = 1;
}

export class StateNotEncryptedError extends Error {
  override name = 'StateNotEncryptedError';
  readonly exitCode = 1;
}

export function explainDecryption(error: unknown, config: Pick<MaasVaultConfig, 'site' | 'state'>): Error | undefined {
  const encryption = config.state.encryption;
  const output = engineOutput(error);
  if (!encryption || !output) return undefined;
  if (/encountered unencrypted payload/i.test(output)) {
    return new StateNotEncryptedError(
      `the state of site ${config.site} is still in clear, and state.encryption refuses to read it that way: ` +
        `run \`maas-vault encrypt-state\` once (with ${encryption.passphraseEnv} exported) to encrypt it without changing anything in Vault. Nothing was changed`,
    );
  }
  if (!/decrypt/i.test(output)) return undefined;
  return new StateDecryptionError(
    `the state of site ${config.site} could not be decrypted with the passphrase in ${encryption.passphraseEnv}: ` +
      'it is not the passphrase the state was encrypted with. Export the right one; nothing was changed',
  );
}
