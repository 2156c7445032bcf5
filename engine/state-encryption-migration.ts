/**
 * Encrypts a site's clear state once, without a plan or an apply, so Vault is never contacted:
 * with the migration block in the stack (stacks/state-encryption-block.ts), OpenTofu reads the
 * clear state through its unencrypted fallback (`state pull`) and writes the same state back
 * encrypted (`state push`, on stdin). The stack's JSON is put back before anything else runs, even
 * on failure, so no plan or apply ever sees the fallback. Then the state is read back twice: as the
 * backend stores it (it must no longer be clear) and through the stack plan and apply use (the
 * passphrase must open it, and it must be the state that was pulled).
 */
import { readFileSync } from 'node:fs';
import { writePrivateFile } from '../config/private-file.js';
import { isDeepStrictEqual } from 'node:util';
import { withClearStateFallback } from '../stacks/state-encryption-block.js';
import type { Engine } from './engine.js';
import { parseQuietly, storedStateKind, type EngineState } from './state.js';

export interface ClearStateMigration {
  engine: Engine;
  /** The synthesized stack (`cdk.tf.json`) the engine runs on. */
  jsonPath: string;
  /** The state as the backend stores it (local file or pg row), never decrypted. */
  readStored: () => Promise<string | undefined>;
  /** Where the state is stored, for messages. */
  where: string;
  /** Runs one engine command as a visible step; a failure becomes the CLI's explained error. */
  step: <T>(label: string, run: () => Promise<T>) => Promise<T>;
}

export class StateMigrationError extends Error {
  override name = 'StateMigrationError';
  readonly exitCode = 1;
}

export async function encryptClearState({ engine, jsonPath, readStored, where, step }: ClearStateMigration): Promise<void> {
  const kind = engine.binary.kind;
  const stack = readFileSync(jsonPath, 'utf8');
  const restore = () => writePrivateFile(jsonPath, stack);
  let clear: string;
  writePrivateFile(jsonPath, withClearStateFallback(stack));
  // process.exit (a signal while no engine runs) skips `finally`, not 'exit' listeners.
  process.once('exit', restore);
  try {
    // A work directory new to this site initializes here, with the fallback: OpenTofu reads the
    // stored state during init and refuses a clear one under the stack's enforced encryption.
    await step(`${kind} init`, () => engine.init());
    clear = await step(`${kind} state pull (clear, through the migration fallback)`, () => engine.pullState());
    await step(`${kind} state push (encrypted)`, () => engine.pushState(withNextSerial(clear)));
  } finally {
    process.off('exit', restore);
    restore();
  }
  if (storedStateKind(await readStored()) !== 'encrypted') {
    throw new StateMigrationError(
      `${kind} state push reported success, but the state in ${where} is still not encrypted: nothing in Vault was changed. ` +
        `Check that the engine is OpenTofu 1.7 or later (${kind} ${engine.binary.version} ran), then run \`maas-vault encrypt-state\` again`,
    );
  }
  const reread = await step(`${kind} state pull (encrypted)`, () => engine.pullState());
  if (!sameState(clear, reread)) {
    throw new StateMigrationError(
      `the state in ${where} is now encrypted, but reads back different from the clear state it replaced (lineage, outputs or resources): ` +
        'another run may have written it meanwhile. Run `maas-vault plan` to see where Vault and the state stand',
    );
  }
}

/**
 * The same state one serial on. A remote state manager skips writing a state whose content, serial
 * and lineage are unchanged; the next serial makes the encrypted write certain on every backend.
 * Only the top-level number is touched (the engine writes `serial` before `outputs` and
 * `resources`), and the result is checked; parsing and re-serializing could round large numbers.
 */
function withNextSerial(text: string): string {
  const state = parsed(text, 'the pulled state');
  if (typeof state.serial !== 'number' || typeof state.lineage !== 'string') {
    throw new StateMigrationError('the pulled state has no serial or lineage: it is not a state the engine wrote; nothing was changed');
  }
  const next = text.replace(/"serial"\s*:\s*\d+/, `"serial": ${state.serial + 1}`);
  const check = parsed(next, 'the state to push');
  if (check.serial !== state.serial + 1 || check.lineage !== state.lineage) {
    throw new StateMigrationError('could not move the pulled state to its next serial: nothing was changed');
  }
  return next;
}

/** The engine may record its own version and checks afresh: what the state holds is compared. */
function sameState(before: string, after: string): boolean {
  const [a, b] = [parsed(before, 'the pulled state'), parsed(after, 'the encrypted state read back')];
  return a.lineage === b.lineage && isDeepStrictEqual(a.outputs, b.outputs) && isDeepStrictEqual(a.resources, b.resources);
}

/** Parsed without ever quoting the text in an error: it holds wrapping tokens. */
function parsed(text: string, what: string): Partial<EngineState> {
  return parseQuietly<Partial<EngineState>>(text, (position) => new StateMigrationError(`${what} is not JSON (${position}); nothing was changed`));
}
