/**
 * The engine side of `state.encryption`: only OpenTofu 1.7+ encrypts state, so any other engine
 * is refused before it runs; the passphrase is read from the named variable and handed to the
 * engine as TF_VAR_… in its environment, never written anywhere.
 */
import type { MaasVaultConfig } from '../config/index.js';
import { PASSPHRASE_VARIABLE } from '../stacks/state-encryption-block.js';
import type { EngineBinary } from './locate.js';

export class StateEncryptionError extends Error {
  override name = 'StateEncryptionError';
  readonly exitCode = 2;
}

/** OpenTofu's pbkdf2 key provider refuses shorter passphrases. */
export const MIN_PASSPHRASE_LENGTH = 16;

export function encryptionEnv(config: Pick<MaasVaultConfig, 'state'>, binary: EngineBinary, env: NodeJS.ProcessEnv): Record<string, string> {
  const encryption = config.state.encryption;
  if (!encryption) return {};
  const [major = 0, minor = 0] = binary.version.split('.').map(Number);
  if (binary.kind !== 'tofu' || major < 1 || (major === 1 && minor < 7)) {
    throw new StateEncryptionError(
      `state.encryption: only OpenTofu 1.7 or later encrypts state, and the engine is ${binary.kind} ${binary.version}, which would write it in clear: ` +
        'use --engine tofu (or MAAS_VAULT_ENGINE=tofu), or remove state.encryption',
    );
  }
  const passphrase = env[encryption.passphraseEnv];
  if (!passphrase) {
    throw new StateEncryptionError(
      `state.encryption.passphraseEnv names ${encryption.passphraseEnv}, which is not set: export ${encryption.passphraseEnv} with the state passphrase`,
    );
  }
  if (passphrase.length < MIN_PASSPHRASE_LENGTH) {
    throw new StateEncryptionError(
      `${encryption.passphraseEnv} holds a passphrase of ${passphrase.length} characters: OpenTofu needs at least ${MIN_PASSPHRASE_LENGTH}`,
    );
  }
  return { [`TF_VAR_${PASSPHRASE_VARIABLE}`]: passphrase };
}
