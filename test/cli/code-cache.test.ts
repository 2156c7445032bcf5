/**
 * The shipped CLI runs with V8's code cache (cli/code-cache.ts): one file per command, written
 * after the first successful run, then read back by V8 instead of compiling again. Each test runs
 * its own copy of dist/bundle, so that the cache it looks at is its own.
 */
import {
  chmodSync,
  chownSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { cacheName, cachedCommand, trustedOwner } from '../../cli/code-cache.js';
import { requireFreshBuild } from '../support/cli.js';

requireFreshBuild();

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
  return execa(process.execPath, [join(bundle, 'maas-vault.cjs'), ...args], {
    reject: false,
    extendEnv: false,
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
    input: '',
    timeout: 30_000,
  });
}

const HELP_TEXT = 'Exit codes: 0 ok, 1 failure';
/** The same length, other code: what a stale or planted cache would run instead. */
const OTHER_TEXT = 'Exit codes: 0 OK, 1 FAILURE';

function editSameLength(bundle: string): void {
  const main = join(bundle, 'main.cjs');
  const source = readFileSync(main, 'utf8');
  const edited = source.replace(HELP_TEXT, OTHER_TEXT);
  expect(edited.length).toBe(source.length);
  const { atime, mtime } = statSync(main);
  writeFileSync(main, edited);
  // Even the modification time is kept, as `cp -p`, rsync and npm's tarballs keep it.
  utimesSync(main, atime, mtime);
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
  for (const args of [['policy', 'maas', '--config', config], ['--version'], ['credentials', '--help'], ['--help']])
    expect((await run(bundle, args)).exitCode).toBe(0);
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

it('a bundle changed in place to the same length and time runs the new code, never the old cached code', async () => {
  const { bundle, cache } = install();
  expect((await run(bundle, ['--help'])).stdout).toContain(HELP_TEXT);
  expect(cacheFiles(cache)).toHaveLength(1);
  editSameLength(bundle);
  expect((await run(bundle, ['--help'])).stdout).toContain(OTHER_TEXT);
});

describe('a cache file someone else could have written is never run', () => {
  // A planted cache: made by another copy of the bundle, of the same length, holding other code.
  const victim = install();
  const attacker = install();
  let planted: Buffer;
  let target: string;

  beforeAll(async () => {
    editSameLength(attacker.bundle);
    expect((await run(attacker.bundle, ['--help'])).stdout).toContain(OTHER_TEXT);
    planted = readFileSync(join(attacker.cache, cacheFiles(attacker.cache)[0]));
    expect((await run(victim.bundle, ['--help'])).stdout).toContain(HELP_TEXT);
    target = join(victim.cache, cacheFiles(victim.cache)[0]);
  });

  afterEach(() => chmodSync(victim.cache, 0o700));

  async function helpWithPlant(plant: () => void): Promise<string> {
    rmSync(target, { force: true });
    writeFileSync(target, planted, { mode: 0o600 });
    plant();
    const result = await run(victim.bundle, ['--help']);
    expect(result.exitCode).toBe(0);
    return result.stdout;
  }

  it('where this user wrote it, it runs: what the checks below stop', async () => {
    expect(await helpWithPlant(() => undefined)).toContain(OTHER_TEXT);
  });

  (process.geteuid?.() === 0 ? it : it.skip)('owned by another user (as root: chown to nobody)', async () => {
    expect(await helpWithPlant(() => chownSync(target, 65534, 65534))).toContain(HELP_TEXT);
  });

  it('writable by others', async () => {
    expect(await helpWithPlant(() => chmodSync(target, 0o666))).toContain(HELP_TEXT);
  });

  it('in a directory others can write (and nothing is written there either)', async () => {
    const output = await helpWithPlant(() => chmodSync(victim.cache, 0o1777));
    expect(output).toContain(HELP_TEXT);
    expect(readFileSync(target).equals(planted)).toBe(true);
  });
});

it('a cache path that is a FIFO or a link to a device is not read: the run neither hangs nor fills memory', async () => {
  const { bundle, cache } = install();
  expect((await run(bundle, ['--help'])).exitCode).toBe(0);
  const [file] = cacheFiles(cache);
  rmSync(join(cache, file));
  await execa('mkfifo', [join(cache, file)]);
  const fifo = await run(bundle, ['--help']);
  expect([fifo.exitCode, fifo.timedOut]).toEqual([0, false]);
  rmSync(join(cache, file), { force: true });
  symlinkSync('/dev/zero', join(cache, file));
  const device = await run(bundle, ['--help']);
  expect([device.exitCode, device.timedOut]).toEqual([0, false]);
});

it("a write sweeps away the temporary files of runs killed while writing, never a live run's", async () => {
  const { bundle, cache } = install();
  const gone = (await execa('sh', ['-c', 'echo $$'])).stdout.trim();
  mkdirSync(cache, { mode: 0o700 });
  writeFileSync(join(cache, `other.main-00000000.v8.${gone}.partial`), 'left by a killed run', { mode: 0o600 });
  writeFileSync(join(cache, `other.main-00000000.v8.${process.pid}.partial`), 'being written', { mode: 0o600 });
  expect((await run(bundle, ['--version'])).exitCode).toBe(0);
  const files = cacheFiles(cache);
  expect(files).toHaveLength(2);
  expect(files).toContain(`other.main-00000000.v8.${process.pid}.partial`);
  expect(files.filter((file) => /^other\.main-[0-9a-f]{8}\.v8$/.test(file))).toHaveLength(1);
});

it('a code-cache that is a link is neither read, written nor swept: root would write and delete wherever it points', async () => {
  const { dir, bundle, cache, config } = install();
  const elsewhere = join(dir, 'elsewhere');
  mkdirSync(elsewhere, { mode: 0o700 });
  const gone = (await execa('sh', ['-c', 'echo $$'])).stdout.trim();
  writeFileSync(join(elsewhere, `important.db.${gone}.partial`), 'precious');
  symlinkSync(elsewhere, cache);
  const result = await run(bundle, ['policy', 'maas', '--config', config]);
  expect([result.exitCode, result.stderr]).toEqual([0, '']);
  expect(readdirSync(elsewhere)).toEqual([`important.db.${gone}.partial`]);
});

it('a code-cache made by someone else while a run goes on gets nothing written into it', async () => {
  const { dir, bundle, cache } = install();
  // The run is held on its output: an issuer policy of 3,000 roles (about 2 MB) fills the pipe,
  // and the run waits in its write until this side reads (a FIFO config, the hold this used to
  // use, is refused since --config must be a regular file).
  const config = join(dir, 'large.json');
  const controllers = Array.from({ length: 3000 }, (_, index) => ({ name: `region-${index}` }));
  writeFileSync(config, JSON.stringify({ site: 'dc1', vault: { address: 'http://127.0.0.1:8200' }, controllers }));
  const child = spawn(process.execPath, [join(bundle, 'maas-vault.cjs'), 'policy', 'issuer', '--config', config], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // Output has come: the run is past its start-up checks, and far from done.
  await once(child.stdout, 'readable');
  mkdirSync(cache);
  chmodSync(cache, 0o777);
  let length = 0;
  child.stdout.on('data', (chunk: Buffer) => (length += chunk.length));
  expect([await exited, stderr]).toEqual([0, '']);
  expect(length).toBeGreaterThan(1024 * 1024);
  expect(readdirSync(cache)).toEqual([]);
});

it('a directory named like an abandoned temporary file does not stop caching', async () => {
  const { bundle, cache } = install();
  const gone = (await execa('sh', ['-c', 'echo $$'])).stdout.trim();
  mkdirSync(join(cache, `other.main-00000000.v8.${gone}.partial`), { recursive: true, mode: 0o700 });
  chmodSync(cache, 0o700);
  expect((await run(bundle, ['--version'])).exitCode).toBe(0);
  expect(cacheFiles(cache).filter((file) => file.endsWith('.v8'))).toHaveLength(1);
});

it('run through a link with --preserve-symlinks-main, it finds the bundle beside the real file', async () => {
  const { dir, bundle } = install();
  const link = join(dir, 'linked-maas-vault.cjs');
  symlinkSync(join(bundle, 'maas-vault.cjs'), link);
  const result = await execa(process.execPath, ['--preserve-symlinks-main', link, '--version'], {
    reject: false,
    extendEnv: false,
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
  });
  expect([result.exitCode, result.stdout, result.stderr]).toEqual([0, JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version, '']);
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
    writeFileSync(
      config,
      JSON.stringify({ site: 'dc1', vault: { address: 'http://127.0.0.1:8200' }, controllers: [{ name: 'region-1' }], workDir: join(dir, workDir) }),
    );
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
  const node = { version: 'v20.20.2', execArgv: [] };

  it('name the command wherever it stands among the arguments, and file help, version, completion and unknown words under other', () => {
    expect(cachedCommand(['--config', 'x.json', 'credentials', '--json'])).toBe('credentials');
    expect(cachedCommand(['credentials', '--help'])).toBe('other');
    expect(cachedCommand(['--version'])).toBe('other');
    expect(cachedCommand(['--get-yargs-completions', 'maas-vault', 'apply', '--'])).toBe('other');
    expect(cachedCommand(['credntials'])).toBe('other');
    expect(cachedCommand(['../../etc/passwd'])).toBe('other');
    expect(cacheName('apply', 'vendor/synth.cjs', Buffer.from('x'), node)).toMatch(/^apply\.synth-[0-9a-f]{8}\.v8$/);
  });

  it('change with the file, its content (at the same length too), the Node version and the flags V8 runs with', () => {
    const base = cacheName('status', 'main.cjs', Buffer.from('source'), node);
    for (const changed of [
      cacheName('status', 'vendor/main.cjs', Buffer.from('source'), node),
      cacheName('status', 'main.cjs', Buffer.from('Source'), node),
      cacheName('status', 'main.cjs', Buffer.from('sources'), node),
      cacheName('status', 'main.cjs', Buffer.from('source'), { ...node, version: 'v22.0.0' }),
      cacheName('status', 'main.cjs', Buffer.from('source'), { ...node, execArgv: ['--max-old-space-size=100'] }),
      cacheName('status', 'main.cjs', Buffer.from('source'), { ...node, nodeOptions: '--stack-size=2000' }),
    ]) {
      expect(changed).not.toBe(base);
    }
    expect(cacheName('status', 'main.cjs', Buffer.from('source'), { ...node })).toBe(base);
  });

  it('trust a file of this user or of the bundle owner that nobody else may write', () => {
    expect(trustedOwner({ uid: 1000, mode: 0o100600 }, 0, 1000)).toBe(true);
    expect(trustedOwner({ uid: 0, mode: 0o100644 }, 0, 1000)).toBe(true);
    expect(trustedOwner({ uid: 1001, mode: 0o100600 }, 0, 1000)).toBe(false);
    expect(trustedOwner({ uid: 1000, mode: 0o100620 }, 0, 1000)).toBe(false);
    expect(trustedOwner({ uid: 1000, mode: 0o100602 }, 0, 1000)).toBe(false);
    expect(trustedOwner({ uid: 1000, mode: 0o41777 }, 0, 1000)).toBe(false);
  });
});
