/**
 * The fingerprint of every source file the bundle is built from, written beside the bundle, so
 * a test that runs the built CLI can tell it is running the sources in front of it: an edited
 * error text with a stale bundle would otherwise pass its four tests against the old build.
 * Content, not mtimes: a checkout or `cp -p` moves mtimes both ways.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

export const SOURCE_DIRS = ['cli', 'config', 'engine', 'policies', 'site', 'stacks', 'toolchain', 'vault', 'scripts'];
export const SOURCE_FINGERPRINT_FILE = 'dist/bundle/source-fingerprint';

export function sourceFingerprint(root: string): string {
  const hash = createHash('sha256');
  const files = SOURCE_DIRS.flatMap((dir) => listSources(join(root, dir))).sort();
  for (const file of files)
    hash
      .update(`${relative(root, file)}\0`)
      .update(readFileSync(file))
      .update('\0');
  hash.update(readFileSync(join(root, 'package.json')));
  return hash.digest('hex');
}

function listSources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return listSources(path);
    return /\.(ts|hcl|json)$/.test(entry.name) ? [path] : [];
  });
}
