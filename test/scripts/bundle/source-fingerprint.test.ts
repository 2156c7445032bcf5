/** The bundle's source fingerprint: any edit of a source it is built from changes it, nothing else does. */
import { cpSync, mkdirSync, mkdtempSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SOURCE_DIRS, sourceFingerprint } from '../../../scripts/bundle/source-fingerprint.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function copyOfSources(): string {
  const root = mkdtempSync(join(tmpdir(), 'maas-vault-sources-'));
  for (const dir of SOURCE_DIRS) cpSync(join(ROOT, dir), join(root, dir), { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(root, 'package.json'));
  return root;
}

it('changes with one character of an error text, and not with a test, a doc or a stray non-source file', () => {
  const root = copyOfSources();
  const before = sourceFingerprint(root);
  expect(sourceFingerprint(root)).toBe(before);
  mkdirSync(join(root, 'test'));
  writeFileSync(join(root, 'test', 'new.test.ts'), 'it("x", () => {});\n');
  writeFileSync(join(root, 'README.md'), '# changed\n');
  cpSync(join(root, 'cli', 'context.ts'), join(root, 'cli', 'context.ts.copy'), { preserveTimestamps: false });
  expect(sourceFingerprint(root)).toBe(before);
  appendFileSync(join(root, 'cli', 'context.ts'), ' ');
  expect(sourceFingerprint(root)).not.toBe(before);
});
