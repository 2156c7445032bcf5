/**
 * OpenTofu's `terraform.encryption` block as plain JSON, without cdktf: the stack adds the enforced
 * one, and `encrypt-state` rewrites an already synthesized stack with the one-step migration block
 * (which `encrypt-state` alone loads, so it must not pull cdktf into the CLI's start-up).
 */

export const PASSPHRASE_VARIABLE = 'maas_vault_state_passphrase';

const METHOD = 'method.aes_gcm.state';
const UNENCRYPTED = 'method.unencrypted.migrate';

/** pbkdf2 turns the passphrase into the key, aes_gcm encrypts, `enforced` refuses to write either in clear. */
export function encryptionBlock(): Record<string, unknown> {
  return {
    key_provider: { pbkdf2: { passphrase: { passphrase: `\${var.${PASSPHRASE_VARIABLE}}` } } },
    method: { aes_gcm: { state: { keys: '${key_provider.pbkdf2.passphrase}' } } },
    // `method` takes a static reference, which JSON syntax writes as a bare string.
    state: { method: METHOD, enforced: true },
    plan: { method: METHOD, enforced: true },
  };
}

/**
 * The same block for the one step that encrypts a clear state: the state may also be read in
 * clear (the `fallback`), and is written encrypted. OpenTofu refuses an unencrypted method while
 * `enforced` is set ("Unable to use unencrypted method since the enforced flag is set"), so the
 * state's `enforced` is off for this step only; plans stay enforced (the step makes none).
 */
export function clearStateMigrationBlock(): Record<string, unknown> {
  const block = encryptionBlock() as { method: Record<string, unknown> };
  return {
    ...block,
    method: { ...block.method, unencrypted: { migrate: {} } },
    state: { method: METHOD, enforced: false, fallback: { method: UNENCRYPTED } },
  };
}

export class NoEncryptionBlockError extends Error {
  override name = 'NoEncryptionBlockError';
  readonly exitCode = 1;
}

/** A synthesized stack's JSON with its encryption block replaced by the migration block. */
export function withClearStateFallback(stackJson: string): string {
  const stack = JSON.parse(stackJson) as { terraform?: { encryption?: unknown } };
  if (!stack.terraform?.encryption) {
    throw new NoEncryptionBlockError('the synthesized stack has no terraform.encryption block to migrate to: synthesize it with state.encryption set');
  }
  stack.terraform.encryption = clearStateMigrationBlock();
  return `${JSON.stringify(stack, null, 2)}\n`;
}
