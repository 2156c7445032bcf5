/** `--out FILE` of the commands that hand out wrapped secret IDs (credentials, rotate). */
import { closeSync, fsyncSync, lstatSync, openSync, renameSync, rmSync, writeSync, type Stats } from 'node:fs';
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
 *
 * The path must be new or a regular file of this user's: the file is renamed over it, which
 * would replace a link (`/dev/stdout` as root), a device or a FIFO someone reads from, or another
 * user's file, with one holding tokens. Those are refused, naming what is there.
 */
export function reserveOutFile(path: string): OutFile {
  const temporary = `${path}.${process.pid}.tmp`;
  const occupant = occupantProblem(existing(path));
  if (occupant) {
    throw new UsageError(
      `--out ${path}: cannot write there: ${occupant}; name a new file, or a regular file of your own to replace; nothing was sent to Vault`,
    );
  }
  let fd: number | undefined;
  try {
    fd = openSync(temporary, 'wx', 0o600);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new UsageError(`--out ${path}: cannot write there (${reason}): name a file in an existing directory you may write to; nothing was sent to Vault`);
  }
  let committed = false;
  return {
    path,
    commit(text: string) {
      writeSync(fd, text);
      fsyncSync(fd);
      closeSync(fd);
      renameSync(temporary, path);
      committed = true;
    },
    discard() {
      if (committed) return;
      try {
        closeSync(fd);
      } catch {
        // Already closed.
      }
      rmSync(temporary, { force: true });
    },
  };
}

/** What is at the path; undefined when nothing is, or it cannot be told (the open below then says why). */
function existing(path: string): Stats | undefined {
  try {
    return lstatSync(path, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

/** What is already at an --out path that must not be replaced, in words; undefined for nothing or a file of this user's. */
function occupantProblem(stat: Stats | undefined): string | undefined {
  if (stat === undefined) return undefined;
  if (stat.isSymbolicLink()) return 'is a symbolic link (the file would replace the link, not go where it points)';
  if (stat.isDirectory()) return 'is a directory';
  if (stat.isFIFO()) return 'is a FIFO (named pipe)';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'is a device';
  if (stat.isSocket()) return 'is a socket';
  if (!stat.isFile()) return 'is not a regular file';
  const uid = process.getuid?.();
  if (uid !== undefined && stat.uid !== uid) return `is a file of another user (uid ${stat.uid}), not of this one (uid ${uid})`;
  return undefined;
}

export function flushStdout(): Promise<void> {
  return new Promise((resolve, reject) => process.stdout.write('', (error) => (error ? reject(error) : resolve())));
}
