/**
 * The bundle's yargs stand-in (scripts/bundle/yargs-home.ts): it must catch yargs' shim, and a
 * build where it catches nothing (yargs moved the file) must fail, not ship the old version walk.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { yargsHome } from '../../../scripts/bundle/yargs-home.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'maas-vault-yargs-home-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function bundle(source: string) {
  const entry = join(dir, 'entry.mjs');
  writeFileSync(entry, source);
  return build({
    absWorkingDir: ROOT,
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    write: false,
    logLevel: 'silent',
    nodePaths: [join(ROOT, 'node_modules')],
    plugins: [yargsHome()],
  });
}

it("replaces yargs' shim with one that starts the version walk beside the bundle", async () => {
  const result = await bundle("import yargs from 'yargs'; export default yargs;");
  expect(result.outputFiles[0].text).toMatch(/mainFilename: dirname\d*\(fileURLToPath\d*\(import\.meta\.url\)\)/);
});

it('fails the build when there was no shim to replace', async () => {
  await expect(bundle('export default 1;')).rejects.toThrow(/yargs' ESM platform shim was not found: update scripts\/bundle\/yargs-home\.ts/);
});
