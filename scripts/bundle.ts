/**
 * The CLI as shipped, in dist/bundle/:
 * - `maas-vault.cjs` (package.json `bin`): a few lines that run `main.cjs` with V8's code cache
 *   (cli/code-cache.ts);
 * - `main.cjs`: the CLI itself, all of maas-vault's code and the libraries every command uses
 *   (yargs, zod), one CommonJS script: Node 20 can cache compiled code only for a script, not for
 *   an ES module;
 * - `vendor/*.cjs`: the large libraries only some commands use (cdktf and the provider bindings for
 *   synth, the engine runner, the PostgreSQL client, the HTTP client of the toolchain), each loaded
 *   on its first use (scripts/bundle/vendor.ts).
 * Bundling with esbuild spares every command the resolution and loading of several hundred module
 * files at start-up: loaded from node_modules, each of cdktf's ~300 files was resolved, read,
 * scanned and compiled on its own, about 100 ms of a synth.
 * Also writes the fingerprint of the synth code that lets plan/apply/destroy reuse an unchanged stack.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions } from 'esbuild';
import { SYNTH_FINGERPRINT_FILE } from '../stacks/synth-once.js';
import { FRAMEWORK_PACKAGES } from '../stacks/framework-packages.js';
import { deferInit } from './bundle/defer-init.js';
import { vendor, vendorEntry } from './bundle/vendor.js';
import { yargsHome } from './bundle/yargs-home.js';
import { sourceFingerprint, SOURCE_FINGERPRINT_FILE } from './bundle/source-fingerprint.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Every file whose content can change the synthesized JSON, and the versions of the libraries that write it. */
function synthFingerprint(): string {
  const hash = createHash('sha256');
  const files = ['config', 'policies', 'site', 'stacks'].flatMap((dir) => listFiles(join(ROOT, dir))).sort();
  for (const file of files)
    hash
      .update(`${relative(ROOT, file)}\0`)
      .update(readFileSync(file))
      .update('\0');
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> };
  for (const name of FRAMEWORK_PACKAGES) hash.update(`${name}@${lock.packages[`node_modules/${name}`]?.version}\0`);
  return hash.digest('hex');
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? listFiles(path) : [path];
  });
}

const OUT = join(ROOT, 'dist/bundle');

/** Large libraries that only some commands use, by the file they are bundled into. */
const VENDOR_GROUPS = {
  synth: FRAMEWORK_PACKAGES,
  engine: ['execa'],
  pg: ['pg'],
  download: ['undici'],
};

const COMMONJS: BuildOptions = {
  absWorkingDir: ROOT,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  minify: true,
  // The sources are ES modules: each file's URL is its bundle's.
  banner: { js: '"use strict";const __bundleUrl = require("node:url").pathToFileURL(__filename).href;' },
  define: { 'import.meta.url': '__bundleUrl' },
  logLevel: 'warning',
};

// Code caches are made for one build: a new build starts without them.
rmSync(OUT, { recursive: true, force: true });
const vendoring = vendor(VENDOR_GROUPS);
await build({
  ...COMMONJS,
  entryPoints: ['cli/main.ts'],
  outfile: join(OUT, 'main.cjs'),
  // Read only for MAAS_VAULT_DEBUG=1 (cli/mapped-stack.ts): bug reports' stack traces name the TypeScript sources.
  sourcemap: 'linked',
  sourcesContent: false,
  // The text-width modules behind yargs' help layout build an ICU segmenter and Unicode property
  // regexes when they load (about 13 ms): only a run that prints help needs them.
  plugins: [deferInit(['string-width']), yargsHome(), vendoring.plugin],
});
for (const [group, paths] of vendoring.groups()) {
  await build({
    ...COMMONJS,
    stdin: { contents: vendorEntry(paths), resolveDir: ROOT, sourcefile: `vendor-${group}.cjs` },
    outfile: join(OUT, 'vendor', `${group}.cjs`),
  });
}
await build({ ...COMMONJS, entryPoints: ['cli/launch.ts'], outfile: join(OUT, 'maas-vault.cjs') });
writeFileSync(join(ROOT, SYNTH_FINGERPRINT_FILE), `${synthFingerprint()}\n`);
writeFileSync(join(ROOT, SOURCE_FINGERPRINT_FILE), `${sourceFingerprint(ROOT)}\n`);
