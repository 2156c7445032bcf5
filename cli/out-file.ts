/** `--out FILE` of the commands that hand out wrapped secret IDs (credentials, rotate). */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { UsageError } from './exit-codes.js';

export interface OutFile {
  path: string;
  /** Writes the content and renames it into place. */
  commit(text: string): void;
  /** Removes the temporary file if it was never committed. */
  discard(): void;
}

/**
 * Opens the 0600 temporary file `--out` is written through, so an unwritable path is found before
 * anything is issued, and the tokens are never readable by others, not even briefly.
 */
export function reserveOutFile(path: string): OutFile {
  const temporary = `${path}.${process.pid}.tmp`;
  let fd: number | undefined;
  try {
    if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    fd = openSync(temporary, 'wx', 0o600);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new UsageError(`--out ${path}: cannot write there (${reason}): name a file in an existing directory you may write to; nothing was sent to Vault`);
  }
  let committed = false;
  return {
    path,
    commit(text: string) {
      writeSync(fd!, text);
      fsyncSync(fd!);
      closeSync(fd!);
      renameSync(temporary, path);
      committed = true;
    },
    discard() {
      if (committed) return;
      try {
        closeSync(fd!);
      } catch {
        // Already closed.
      }
      rmSync(temporary, { force: true });
    },
  };
}

export function flushStdout(): Promise<void> {
  return new Promise((resolve, reject) => process.stdout.write('', (error) => (error ? reject(error) : resolve())));
}
