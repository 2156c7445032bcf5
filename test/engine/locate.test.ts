/**
 * The engine's version probe runs `<engine> version -json`, a child process on the critical path
 * of every plan and apply. Its answer is kept beside the site's work directory, keyed by the
 * binary's resolved path and file identity: a different or updated binary is probed again.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { locateEngine, removedBlockProblem } from '../../engine/locate.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'maas-vault-locate-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A stand-in engine that answers `version -json` and counts how often it was asked. */
function fakeEngine(binDir: string, version: string): { path: string; calls: () => number } {
  mkdirSync(binDir, { recursive: true });
  const path = join(binDir, 'terraform');
  const counter = join(binDir, 'calls');
  writeFileSync(counter, '');
  writeFileSync(path, `#!/bin/sh\necho x >> '${counter}'\necho '{"terraform_version":"${version}","platform":"linux_amd64"}'\n`);
  chmodSync(path, 0o755);
  return { path, calls: () => readFileSync(counter, 'utf8').split('\n').filter(Boolean).length };
}

it('probes a binary once, then answers from the cache file (mode 0600)', async () => {
  const engine = fakeEngine(join(dir, 'bin'), '1.11.4');
  const cache = join(dir, 'work', 'engine.json');
  mkdirSync(join(dir, 'work'));
  expect(await locateEngine(engine.path, '--engine', cache)).toEqual({ kind: 'terraform', path: engine.path, version: '1.11.4' });
  expect(await locateEngine(engine.path, '--engine', cache)).toEqual({ kind: 'terraform', path: engine.path, version: '1.11.4' });
  expect(engine.calls()).toBe(1);
  expect(statSync(cache).mode & 0o777).toBe(0o600);
});

it('probes again when the binary changes, or when PATH finds another one', async () => {
  const cache = join(dir, 'engine.json');
  const first = fakeEngine(join(dir, 'a'), '1.11.4');
  const path = { PATH: `${join(dir, 'a')}:/usr/bin:/bin` };
  expect((await locateEngine('terraform', '--engine', cache, path)).version).toBe('1.11.4');
  // Upgraded in place: another size and modification time.
  writeFileSync(first.path, readFileSync(first.path, 'utf8').replace('1.11.4', '1.12.10'));
  expect((await locateEngine('terraform', '--engine', cache, path)).version).toBe('1.12.10');
  expect(first.calls()).toBe(2);
  const second = fakeEngine(join(dir, 'b'), '1.10.5');
  expect((await locateEngine('terraform', '--engine', cache, { PATH: `${join(dir, 'b')}:/usr/bin:/bin` })).version).toBe('1.10.5');
  expect(second.calls()).toBe(1);
});

it('a cache file that is not its own is ignored, not trusted', async () => {
  const engine = fakeEngine(join(dir, 'bin'), '1.11.4');
  const cache = join(dir, 'engine.json');
  writeFileSync(cache, '{"key":"whatever","kind":"tofu","version":"9.9.9"}');
  expect(await locateEngine(engine.path, '--engine', cache)).toEqual({ kind: 'terraform', path: engine.path, version: '1.11.4' });
  writeFileSync(cache, 'not json');
  expect((await locateEngine(engine.path, '--engine', cache)).version).toBe('1.11.4');
});

it('an engine that is nowhere on PATH is reported missing without starting a process for it', async () => {
  const engine = fakeEngine(join(dir, 'bin'), '1.11.4');
  const cache = join(dir, 'engine.json');
  const env = { PATH: join(dir, 'bin') };
  // tofu comes first and is not there; terraform is the stand-in.
  expect(await locateEngine(undefined, '--engine', cache, env)).toEqual({ kind: 'terraform', path: 'terraform', version: '1.11.4' });
  await expect(locateEngine('tofu', '--engine', cache, env)).rejects.toThrow(/--engine tofu: cannot run "tofu" \(not found on PATH\)/);
  expect(engine.calls()).toBe(1);
});

describe('the engine a removed block needs (adopt flags forget, never delete)', () => {
  it.each([
    ['terraform', '1.6.6', false],
    ['terraform', '1.7.0', true],
    ['terraform', '1.11.4', true],
    ['terraform', '2.0.0', true],
    ['tofu', '1.6.2', false],
    ['tofu', '1.9.1', false],
    ['tofu', '1.10.0', true],
    ['tofu', '1.11.6', true],
  ] as const)('%s %s: %s', (kind, version, supported) => {
    const problem = removedBlockProblem({ kind, version });
    expect(problem === undefined).toBe(supported);
    if (!supported) expect(problem).toContain(`${kind === 'tofu' ? 'OpenTofu' : 'Terraform'} ${version} cannot forget an object without deleting it`);
  });

  it('an engine too old for it still runs a stack without adopt flags: the general minimum stays 1.6', async () => {
    const engine = fakeEngine(join(dir, 'bin'), '1.6.6');
    expect(await locateEngine(engine.path, '--engine')).toEqual({ kind: 'terraform', path: engine.path, version: '1.6.6' });
  });
});
