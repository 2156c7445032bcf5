/**
 * The shipped CLI runs with V8's code cache (cli/code-cache.ts): one file per command, written
 * after the first successful run, then read back by V8 instead of compiling again. Each test runs
 * its own copy of dist/bundle, so that the cache it looks at is its own.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { cacheName, cachedCommand } from '../../cli/code-cache.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A copy of the installed package: the bundle copied, the rest linked. */
function install(): { dir: string; bundle: string; cache: string; config: string; badConfig: string } {
  const dir = mkdtempSync(join(tmpdir(), 'maas-vault-code-cache-'));
  dirs.push(dir);
  cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  for (const linked of ['policies', 'node_modules']) symlinkSync(join(ROOT, linked), join(dir, linked));
  cpSync(join(ROOT, 'dist/bundle'), join(dir, 'dist/bundle'), { recursive: true, filter: (source) => !source.includes('code-cache') });
  const config = join(dir, 'maas-vault.json');
  writeFileSync(config, JSON.stringify({ site: 'dc1', vault: { address: 'http://127.0.0.1:8200' }, controllers: [{ name: 'region-1' }] }));
  const badConfig = join(dir, 'bad.json');
  writeFileSync(badConfig, JSON.stringify({ site: 'dc1', vault: { address: 'http://127.0.0.1:8200' }, controllers: [] }));
  return { dir, bundle: join(dir, 'dist/bundle'), cache: join(dir, 'dist/bundle/code-cache'), config, badConfig };
}

function run(bundle: string, args: string[]) {
  return execa(process.execPath, [join(bundle, 'maas-vault.cjs'), ...args], { reject: false, extendEnv: false, env: { PATH: process.env.PATH, HOME: process.env.HOME }, input: '' });
}

function cacheFiles(cache: string): string[] {
  try {
    return readdirSync(cache).sort();
  } catch {
    return [];
  }
}

function identity(file: string): string {
  const stat = statSync(file);
  return `${stat.ino}:${stat.mtimeMs}`;
}

it('the first successful run of a command writes its cache, owner-only; the next run reads it and writes nothing', async () => {
  const { bundle, cache, config } = install();
  const first = await run(bundle, ['policy', 'maas', '--config', config]);
  expect([first.exitCode, first.stderr]).toEqual([0, '']);
  const files = cacheFiles(cache);
  expect(files).toEqual([expect.stringMatching(/^policy\.main-[0-9a-f]{8}\.v8$/)]);
  expect(statSync(cache).mode & 0o777).toBe(0o700);
  expect(statSync(join(cache, files[0])).mode & 0o777).toBe(0o600);
  const written = identity(join(cache, files[0]));

  const second = await run(bundle, ['policy', 'maas', '--config', config]);
  expect([second.exitCode, second.stdout]).toEqual([0, first.stdout]);
  // Rewritten only when missing or refused by V8: untouched means V8 took it.
  expect(identity(join(cache, files[0]))).toBe(written);
  expect(cacheFiles(cache)).toEqual(files);
});

it('each command has its own cache; help and version share one', async () => {
  const { bundle, cache, config } = install();
  for (const args of [['policy', 'maas', '--config', config], ['--version'], ['credentials', '--help'], ['--help']]) expect((await run(bundle, args)).exitCode).toBe(0);
  expect(cacheFiles(cache).map((file) => file.replace(/-[0-9a-f]{8}\.v8$/, ''))).toEqual(['other.main', 'policy.main']);
});

it('a run that fails writes no cache', async () => {
  const { bundle, cache, badConfig } = install();
  const result = await run(bundle, ['policy', 'maas', '--config', badConfig]);
  expect(result.exitCode).toBe(2);
  expect(cacheFiles(cache)).toEqual([]);
});

it('a damaged cache file is never given to V8: the run works as without it, and the file is written again', async () => {
  const { bundle, cache, config } = install();
  const clean = await run(bundle, ['policy', 'maas', '--config', config]);
  const [file] = cacheFiles(cache);
  const damaged = readFileSync(join(cache, file));
  damaged.fill(0x5a, 64, 4096);
  writeFileSync(join(cache, file), damaged, { mode: 0o600 });
  const before = identity(join(cache, file));

  const result = await run(bundle, ['policy', 'maas', '--config', config]);
  expect([result.exitCode, result.stdout, result.stderr]).toEqual([0, clean.stdout, '']);
  expect(identity(join(cache, file))).not.toBe(before);
  expect(readFileSync(join(cache, file)).equals(damaged)).toBe(false);
});

it('a bundle changed in place to the same length runs the new code, never the old cached code', async () => {
  const { bundle, cache } = install();
  expect((await run(bundle, ['--help'])).stdout).toContain('Exit codes: 0 ok, 1 failure');
  expect(cacheFiles(cache)).toHaveLength(1);
  const main = join(bundle, 'main.cjs');
  const source = readFileSync(main, 'utf8');
  const edited = source.replace('Exit codes: 0 ok, 1 failure', 'Exit codes: 0 OK, 1 FAILURE');
  expect(edited.length).toBe(source.length);
  writeFileSync(main, edited);

  expect((await run(bundle, ['--help'])).stdout).toContain('Exit codes: 0 OK, 1 FAILURE');
});

it('where the cache cannot be written, runs work as before and leave nothing behind', async () => {
  const { bundle, cache, config } = install();
  // A file where the directory should be: as root, permissions alone would not stop the write.
  writeFileSync(cache, 'not a directory');
  const result = await run(bundle, ['policy', 'maas', '--config', config]);
  expect([result.exitCode, result.stderr]).toEqual([0, '']);
  expect(readFileSync(cache, 'utf8')).toBe('not a directory');
  expect(readdirSync(bundle).filter((name) => name.includes('partial'))).toEqual([]);
});

it('runs started together on an empty cache leave one complete file, which the next run takes', async () => {
  const { bundle, cache, config } = install();
  const results = await Promise.all([1, 2, 3, 4].map(() => run(bundle, ['policy', 'maas', '--config', config])));
  expect(results.map((result) => result.exitCode)).toEqual([0, 0, 0, 0]);
  const files = cacheFiles(cache);
  expect(files).toEqual([expect.stringMatching(/^policy\.main-[0-9a-f]{8}\.v8$/)]);
  const written = identity(join(cache, files[0]));
  expect((await run(bundle, ['policy', 'maas', '--config', config])).exitCode).toBe(0);
  expect(identity(join(cache, files[0]))).toBe(written);
});

it('synth caches the code of the cdktf bundle it loads too; the next synth reads both and writes the same stack', async () => {
  const { bundle, cache, dir } = install();
  const synth = async (workDir: string) => {
    const config = join(dir, `${workDir}.json`);
    writeFileSync(config, JSON.stringify({ site: 'dc1', vault: { address: 'http://127.0.0.1:8200' }, controllers: [{ name: 'region-1' }], workDir: join(dir, workDir) }));
    const result = await run(bundle, ['synth', '--config', config]);
    expect([result.exitCode, result.stderr]).toEqual([0, '']);
    return readFileSync(join(dir, workDir, 'cdktf.out/stacks/maas-vault-dc1/cdk.tf.json'), 'utf8');
  };
  const first = await synth('first');
  const files = cacheFiles(cache);
  expect(files).toEqual([expect.stringMatching(/^synth\.main-[0-9a-f]{8}\.v8$/), expect.stringMatching(/^synth\.synth-[0-9a-f]{8}\.v8$/)]);
  const written = files.map((file) => identity(join(cache, file)));

  // Another work directory: synthesized again, not reused.
  expect(await synth('second')).toBe(first);
  expect(files.map((file) => identity(join(cache, file)))).toEqual(written);
});

describe('cache names', () => {
  const build = { digest: 'a'.repeat(32), size: 1000, mtimeMs: 1 };
  const node = { version: 'v20.20.2', execArgv: [] };

  it('name the command wherever it stands among the arguments, and file help, version and unknown words under other', () => {
    expect(cachedCommand(['--config', 'x.json', 'credentials', '--json'])).toBe('credentials');
    expect(cachedCommand(['credentials', '--help'])).toBe('other');
    expect(cachedCommand(['--version'])).toBe('other');
    expect(cachedCommand(['credntials'])).toBe('other');
    expect(cachedCommand(['../../etc/passwd'])).toBe('other');
    expect(cacheName('apply', 'vendor/synth.cjs', build, node)).toMatch(/^apply\.synth-[0-9a-f]{8}\.v8$/);
  });

  it('change with the file, its build, size or time, the Node version and the flags V8 runs with', () => {
    const base = cacheName('status', 'main.cjs', build, node);
    for (const changed of [
      cacheName('status', 'vendor/main.cjs', build, node),
      cacheName('status', 'main.cjs', { ...build, digest: 'b'.repeat(32) }, node),
      cacheName('status', 'main.cjs', { ...build, size: 1001 }, node),
      cacheName('status', 'main.cjs', { ...build, mtimeMs: 2 }, node),
      cacheName('status', 'main.cjs', build, { ...node, version: 'v22.0.0' }),
      cacheName('status', 'main.cjs', build, { ...node, execArgv: ['--max-old-space-size=100'] }),
      cacheName('status', 'main.cjs', build, { ...node, nodeOptions: '--stack-size=2000' }),
    ]) {
      expect(changed).not.toBe(base);
    }
    expect(cacheName('status', 'main.cjs', { ...build }, { ...node })).toBe(base);
  });
});
