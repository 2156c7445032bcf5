/**
 * Replaces a file whole or not at all, readable by its owner only: written to a temporary file
 * beside it (mode 0600 whatever the umask), then renamed over it, so a reader (the engine, another
 * run) never sees half a file. For the small records maas-vault keeps in its work directory.
 */
import { chmodSync, renameSync, rmSync, writeFileSync } from 'node:fs';

export function writePrivateFile(path: string, text: string): void {
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    // Created anew: a link left at the temporary name is removed, never written through.
    rmSync(temporary, { force: true });
    writeFileSync(temporary, text, { mode: 0o600, flag: 'wx' });
    chmodSync(temporary, 0o600);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}
