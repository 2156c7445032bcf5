/**
 * `--version` names this package's version wherever it is run from. yargs guesses it by walking
 * up from where it thinks the program lives; bundled, that guess became the working directory, so
 * a run inside another npm project printed that project's version, and elsewhere "unknown".
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli.js';

const OURS = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const dir = mkdtempSync(join(tmpdir(), 'maas-vault-version-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("run inside another npm project, prints its own version, not that project's", async () => {
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'someone-else', version: '9.9.9' }));
  const result = await runCli(['--version'], { cwd: dir });
  expect(result.exitCode).toBe(0);
  expect(result.stdout.trim()).toBe(OURS);
});

it('run from the file-system root, prints its own version, not "unknown"', async () => {
  const result = await runCli(['--version'], { cwd: '/' });
  expect(result.exitCode).toBe(0);
  expect(result.stdout.trim()).toBe(OURS);
});

it('`maas-vault version` prints what --version prints', async () => {
  const [command, flag] = await Promise.all([runCli(['version'], { cwd: dir }), runCli(['--version'], { cwd: dir })]);
  expect([command.exitCode, command.stderr]).toEqual([0, '']);
  expect(command.stdout).toBe(flag.stdout);
  expect(command.stdout).toBe(OURS);
});
