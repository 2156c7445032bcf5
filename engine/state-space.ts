/**
 * A full disk at the end of an apply: the engine cannot write the state, cannot write
 * `errored.tfstate` beside it either, and prints the whole state instead (wrapping tokens
 * included; scrub.ts keeps them off the terminal). Without a copy, the next apply issues every
 * secret ID again and meets "path is already in use".
 *
 * So an apply of a local state first sets space aside in the stack directory (a file of zeros,
 * owner-only), enough for the state it will write; too full for that, it is refused before the
 * engine applies anything. When the engine then fails to write the state and prints it, the
 * space is given back and the printed state is written where the engine meant to write it.
 */
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writePrivateFile } from '../config/private-file.js';
import { ERRORED_STATE } from './errored-state.js';

export const STATE_RESERVE = 'state-reserve';

const MIN_RESERVE = 1024 * 1024;

/** Not enough room for the state this apply writes: refused before the engine applies. */
export class NoSpaceForStateError extends Error {
  override name = 'NoSpaceForStateError';
  readonly exitCode = 1;
}

/** The engine failed to write the state; maas-vault wrote what it printed (or could not: said so). */
export class StateRescueError extends Error {
  override name = 'StateRescueError';
  readonly exitCode = 1;
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** Twice what the state and the stack are now: a planned state is about the size of the stack's JSON. */
export function reserveSize(statePath: string, stackJson: string): number {
  return Math.max(MIN_RESERVE, 2 * sizeOf(statePath) + 2 * sizeOf(stackJson));
}

export function reserveStateSpace(stackDir: string, bytes: number): void {
  const path = join(stackDir, STATE_RESERVE);
  try {
    // Created anew (a link planted there is removed, never written through; a reserve left by a
    // killed run does not keep its mode).
    rmSync(path, { force: true });
    writeFileSync(path, Buffer.alloc(bytes), { mode: 0o600, flag: 'wx' });
  } catch (error) {
    rmSync(path, { force: true });
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EROFS' || code === 'EACCES' || code === 'EPERM') {
      throw new NoSpaceForStateError(
        `cannot write in ${stackDir} (${code}), where the engine writes the state: the plan was made, but nothing was ` +
          `changed in Vault. Make the work directory writable, then run the command again`,
      );
    }
    if (code !== 'ENOSPC' && code !== 'EDQUOT') throw error;
    throw new NoSpaceForStateError(
      `not enough free space in ${stackDir} for the state this apply writes (it sets ${Math.ceil(bytes / 1024)} KiB ` +
        `aside first, so that the state can always be saved): ` +
        'the plan was made, but nothing was changed in Vault. Free some space on that file system, then run the command again',
    );
  }
}

export function releaseStateSpace(stackDir: string): void {
  rmSync(join(stackDir, STATE_RESERVE), { force: true });
}

export interface StateDump {
  text: string;
  serial: number;
  resources: number;
}

/**
 * The state the engine printed when it could not write it: the last top-level JSON object that is
 * a version 4 state. Terraform prints it indented (from a line `{` to a line `}`), OpenTofu on one line.
 */
export function stateDumpIn(output: string): StateDump | undefined {
  const lines = output.split('\n');
  for (let index = lines.length - 1; index >= 0; index--) {
    const line = lines[index].trim();
    if (!line.startsWith('{"') || !line.endsWith('}')) continue;
    const dump = asDump(`${line}\n`);
    if (dump) return dump;
  }
  for (let start = lines.lastIndexOf('{'); start >= 0; start = lines.lastIndexOf('{', start - 1)) {
    const end = lines.indexOf('}', start);
    if (end === -1) continue;
    const dump = asDump(`${lines.slice(start, end + 1).join('\n')}\n`);
    if (dump) return dump;
    if (start === 0) break;
  }
  return undefined;
}

function asDump(text: string): StateDump | undefined {
  try {
    const parsed = JSON.parse(text) as { version?: unknown; serial?: unknown; lineage?: unknown; resources?: unknown };
    if (parsed.version === 4 && typeof parsed.serial === 'number' && typeof parsed.lineage === 'string') {
      return { text, serial: parsed.serial, resources: Array.isArray(parsed.resources) ? parsed.resources.length : 0 };
    }
  } catch {
    // not this one
  }
  return undefined;
}

/** Why the engine could not write: the file system's words, never the state. */
export function writeFailureCause(output: string): string | undefined {
  return /no space left on device|read-only file system|disk quota exceeded|input\/output error/i.exec(output)?.[0].toLowerCase();
}

/**
 * Writes the printed state where the engine meant to (the space set aside was given back first),
 * and removes an empty `errored.tfstate` the engine began. Throws StateRescueError either way, with
 * what happened and what the next run does.
 */
export function rescuePrintedState(statePath: string, stackDir: string, dump: StateDump, cause: string | undefined): never {
  const why = cause ? ` (${cause})` : '';
  try {
    writePrivateFile(statePath, dump.text);
  } catch (error) {
    throw new StateRescueError(
      `apply changed Vault, but the engine could not write the state${why}, and neither could maas-vault ` +
        `(${(error as NodeJS.ErrnoException).code ?? 'write failed'}): ` +
        `the state of this run is lost, ${dump.resources} resources of it are in Vault. Do not run apply again before ` +
        `you free space in ${dirname(statePath)}; ` +
        'then adopt what it created (README, "Coming from the manual set-up")',
    );
  }
  const errored = join(stackDir, ERRORED_STATE);
  if (existsSync(errored) && !isState(readFileSync(errored, 'utf8'))) rmSync(errored, { force: true });
  throw new StateRescueError(
    `apply changed Vault, but the engine could not write the state${why} and printed it instead (its secrets never shown). ` +
      `maas-vault saved the state the engine held (serial ${dump.serial}, ${dump.resources} resources) to ${statePath} ` +
      `(owner-only), in the space it had set aside: ` +
      `the state matches Vault. Free some space in ${dirname(statePath)}, then run \`maas-vault apply\` again: it ` +
      `continues from that state (no secret ID is issued twice)`,
  );
}

function isState(text: string): boolean {
  try {
    return (JSON.parse(text) as { version?: unknown }).version === 4;
  } catch {
    return false;
  }
}
