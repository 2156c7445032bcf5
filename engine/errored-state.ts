/**
 * The state an engine could not save. When its backend goes away at the end of an apply (PostgreSQL
 * stopped or restarted, a full disk), Terraform and OpenTofu write the state they hold in memory to
 * `errored.tfstate` in the stack directory and fail. That file is the only record of what the run
 * created, wrapping tokens and secret IDs included: without it the next apply issues every secret ID
 * again (two live ones per controller) and meets "path is already in use" for the mounts.
 *
 * So the next run that opens the stack pushes it back first (`state push`, which the engine refuses
 * for another lineage or an older serial: then nothing is overwritten and the run stops, naming the
 * file), removes it once the backend holds it, and says so. The engine's own advice on that failure
 * ("terraform state push", "force-unlock") is replaced by what maas-vault does.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { stateHeader } from './state.js';

export const ERRORED_STATE = 'errored.tfstate';

export function erroredStatePath(stackDir: string): string {
  return join(stackDir, ERRORED_STATE);
}

export interface ErroredStateEngine {
  pullState(): Promise<string>;
  pushState(text: string): Promise<void>;
}

/** A state the engine could not save that no backend holds: stops the run without touching either. */
export class ErroredStateError extends Error {
  override name = 'ErroredStateError';
  readonly exitCode = 1;
}

export function isErroredStateError(error: unknown): error is ErroredStateError {
  return error instanceof ErroredStateError;
}

/**
 * Pushes a left-over errored.tfstate back into the backend; returns what to tell the user, or
 * undefined when there was none. An unreadable file, or one of another lineage or an older serial
 * than the backend's, is kept and the run stops.
 */
export async function recoverErroredState(engine: ErroredStateEngine, stackDir: string): Promise<string | undefined> {
  const path = erroredStatePath(stackDir);
  if (!existsSync(path)) return undefined;
  const text = readFileSync(path, 'utf8');
  const errored = stateHeader(text);
  if (!errored || typeof errored.serial !== 'number') {
    throw new ErroredStateError(
      `${path} is left from an earlier run that could not save its state, but it is not a state file: move it away (it may hold wrapping tokens) and run this again`,
    );
  }
  const current = stateHeader(await engine.pullState()) ?? {};
  const currentSerial = typeof current.serial === 'number' ? current.serial : -1;
  if (current.lineage && errored.lineage && current.lineage !== errored.lineage) {
    throw new ErroredStateError(
      `${path} is left from an earlier run that could not save its state, but the site's state now is another one (lineage ${current.lineage}, not ${errored.lineage}): ` +
        'nothing was pushed or changed. Compare the two, and move the file away once you know which is right',
    );
  }
  // The backend has saved this lineage at least as far: the file says nothing it does not hold.
  if (current.lineage && current.lineage === errored.lineage && currentSerial >= errored.serial) {
    rmSync(path, { force: true });
    return `${path} was left by an earlier run that could not save its state; the site's state is already as new (serial ${currentSerial}), so the file was removed`;
  }
  await engine.pushState(text);
  rmSync(path, { force: true });
  const count = Array.isArray(errored.resources) ? errored.resources.length : 0;
  return `pushed back the state an earlier run could not save (${path}, serial ${errored.serial}, ${count} resources): this run continues from what that run created`;
}

/** The engine's failure to save its state, told as what happened and what the next run does. */
export function erroredStateAdvice(output: string, stackDir: string, action: string): string | undefined {
  if (!/errored\.tfstate/.test(output)) return undefined;
  const cause = /Error saving state: ([^\n]+)/.exec(output)?.[1]?.trim();
  const path = erroredStatePath(stackDir);
  // The engine names the file whether or not it managed to write it (a full disk leaves it empty).
  const kept = existsSync(path) && typeof stateHeader(readFileSync(path, 'utf8'))?.serial === 'number';
  if (!kept) {
    return (
      `${action} changed Vault, but the engine could not save the state${cause ? ` (${cause})` : ''}, nor keep it in ` +
      `${path} (${existsSync(path) ? 'left empty or cut off' : 'not written'}): ` +
      `the state of this run is lost. Do not run \`maas-vault ${action}\` again before the state can be written (free space, the backend back): ` +
      'it would issue every secret ID again; adopt what this run created instead (README, "Coming from the manual set-up")'
    );
  }
  return (
    `${action} changed Vault, but the engine could not save the state${cause ? ` (${cause})` : ''}. It kept it in ${erroredStatePath(stackDir)} ` +
    `(owner-only; it holds the wrapping tokens). Once the state backend is back, run \`maas-vault ${action}\` again: it pushes that state back first and continues from it. ` +
    'Do not run the engine by hand on this stack meanwhile (a new apply would issue every secret ID again)'
  );
}
