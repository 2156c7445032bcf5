/** Files shipped with the package (policy templates, examples) are found from here, in source and in dist alike. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

export function packageRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('internal: maas-vault cannot find its own package.json');
    dir = parent;
  }
  cached = dir;
  return dir;
}
