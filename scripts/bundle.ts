/**
 * The CLI as shipped: one bundled entry file (plus chunks for what only some commands load), and
 * the fingerprint of the synth code that lets plan/apply/destroy reuse an unchanged stack.
 * Bundling with esbuild spares every command the resolution and loading of several hundred module
 * files at start-up. cdktf, constructs and the provider bindings are bundled too, into the chunks
 * only synth loads: loaded from node_modules, each of their ~300 files was resolved, read, scanned
 * for its exports (ES modules importing CommonJS) and compiled on its own, about 100 ms of a synth.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { SYNTH_FINGERPRINT_FILE } from '../stacks/synth-once.js';
import { deferInit } from './bundle/defer-init.js';
import { yargsHome } from './bundle/yargs-home.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Every file whose content can change the synthesized JSON, and the versions of the libraries that write it. */
function synthFingerprint(): string {
  const hash = createHash('sha256');
  const files = ['config', 'policies', 'stacks'].flatMap((dir) => listFiles(join(ROOT, dir))).sort();
  for (const file of files) hash.update(`${relative(ROOT, file)}\0`).update(readFileSync(file)).update('\0');
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> };
  for (const name of ['cdktf', 'constructs', '@cdktf/provider-vault']) hash.update(`${name}@${lock.packages[`node_modules/${name}`]?.version}\0`);
  return hash.digest('hex');
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? listFiles(path) : [path];
  });
}

// Chunk names carry content hashes: without this, every build would leave the previous ones behind.
rmSync(join(ROOT, 'dist/bundle'), { recursive: true, force: true });
await build({
  absWorkingDir: ROOT,
  entryPoints: ['cli/main.ts'],
  outdir: 'dist/bundle',
  entryNames: 'maas-vault',
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: true,
  // Read only for MAAS_VAULT_DEBUG=1 (cli/mapped-stack.ts): bug reports' stack traces name the TypeScript sources.
  sourcemap: 'linked',
  sourcesContent: false,
  banner: {
    js: "import { createRequire as __maasVaultRequire } from 'node:module'; const require = __maasVaultRequire(import.meta.url);",
  },
  // The text-width modules behind yargs' help layout build an ICU segmenter and Unicode property
  // regexes when they load (about 13 ms): only a run that prints help needs them.
  plugins: [deferInit(['string-width']), yargsHome()],
  logLevel: 'warning',
});
writeFileSync(join(ROOT, SYNTH_FINGERPRINT_FILE), `${synthFingerprint()}\n`);
