/**
 * The source folders form layers, each importing only its own and lower ones:
 * config → policies → site → stacks → vault, engine → toolchain → cli. `site/` (the desired site
 * as plain data) sits between the policies it renders and the stack that builds it, so it imports
 * config/ and policies/ only, and nothing below it can reach Vault, the engine or cdktf.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** Rank per folder: a file may import from folders of its rank or lower. vault and engine share one. */
const LAYERS: Record<string, number> = { config: 0, policies: 1, site: 2, stacks: 3, vault: 4, engine: 4, toolchain: 5, cli: 6 };
const SPECIFIER = /(?:\bfrom|\bimport|\bimport\(|\brequire\()\s*['"](\.{1,2}\/[^'"]+)['"]/g;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** `<file> -> <imported file>` for each import that points to a higher layer. */
function upwardImports(): string[] {
  const found: string[] = [];
  for (const [folder, rank] of Object.entries(LAYERS)) {
    for (const file of sources(join(ROOT, folder))) {
      for (const [, specifier] of readFileSync(file, 'utf8').matchAll(SPECIFIER)) {
        const target = relative(ROOT, resolve(dirname(file), specifier));
        const targetRank = LAYERS[target.split('/')[0]];
        if (targetRank === undefined || targetRank > rank) found.push(`${relative(ROOT, file)} -> ${target}`);
      }
    }
  }
  return found;
}

describe('layering', () => {
  it('no source file imports from a higher layer (or from outside the layers)', () => {
    expect(upwardImports()).toEqual([]);
  });

  it('site/ imports config/ and policies/ only (and Node built-ins): plain data, no cdktf, no Vault client', () => {
    const imports = sources(join(ROOT, 'site')).flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/\bfrom\s*['"]([^'"]+)['"]/g)].map((match) => [file, match[1]] as const),
    );
    expect(imports.length).toBeGreaterThan(0);
    for (const [file, specifier] of imports) {
      if (specifier.startsWith('node:')) continue;
      const target = relative(ROOT, resolve(dirname(file), specifier)).split('/')[0];
      expect([relative(ROOT, file), specifier, ['config', 'policies', 'site'].includes(target)]).toEqual([relative(ROOT, file), specifier, true]);
    }
  });
});
