/**
 * OpenTofu's answer to a wrong state passphrase is a long decryption error; this is its one line.
 */
import type { MaasVaultConfig } from '../../config/index.js';

export class StateDecryptionError extends Error {
  override name = 'StateDecryptionError';
  readonly exitCode = 1;
}

export function explainDecryption(error: unknown, config: Pick<MaasVaultConfig, 'site' | 'state'>): StateDecryptionError | undefined {
  const encryption = config.state.encryption;
  const output = (error as { name?: string; output?: string } | undefined)?.name === 'EngineError' ? (error as { output: string }).output : undefined;
  if (!encryption || !output || !/decrypt/i.test(output)) return undefined;
  return new StateDecryptionError(
    `the state of site ${config.site} could not be decrypted with the passphrase in ${encryption.passphraseEnv}: ` +
      'it is not the passphrase the state was encrypted with. Export the right one; nothing was changed',
  );
}
