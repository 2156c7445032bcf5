/**
 * The prebuilt vault bindings are archived: every import of them lives in stacks/framework.ts,
 * and only as deep imports, so moving to other bindings is a one-file change and start-up stays fast.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SKIP = new Set(['node_modules', 'dist', '.git', '.maas-vault', 'cdktf.out']);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (SKIP.has(entry.name)) return [];
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return /\.(ts|js|mjs)$/.test(entry.name) ? [path] : [];
  });
}

it('only stacks/framework.ts imports @cdktf/provider-vault, and only its submodules', () => {
  const importers = new Map<string, string[]>();
  for (const path of sources(ROOT)) {
    if (path.endsWith('provider-imports.test.ts')) continue;
    const specifiers = [...readFileSync(path, 'utf8').matchAll(/(?:from|import\(|require\()\s*['"](@cdktf\/provider-vault[^'"]*)['"]/g)].map(
      (match) => match[1],
    );
    if (specifiers.length > 0) importers.set(relative(ROOT, path), specifiers);
  }
  expect([...importers.keys()]).toEqual(['stacks/framework.ts']);
  const specifiers = importers.get('stacks/framework.ts')!;
  expect(specifiers.length).toBeGreaterThanOrEqual(8);
  for (const specifier of specifiers) expect(specifier).toMatch(/^@cdktf\/provider-vault\/lib\/[a-z0-9-]+\/index\.js$/);
});
