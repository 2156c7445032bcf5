/**
 * The text-width modules behind yargs' help layout do costly work when they load (an ICU
 * segmenter, Unicode property regexes: about 13 ms). The bundle defers them to their first use,
 * so a command that prints no help never pays for them; `--help` still lays its text out.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../support/cli.js';

const PROBE = fileURLToPath(new URL('../support/segmenter-probe.cjs', import.meta.url));

function segmentersCreated(stderr: string): number {
  const found = /segmenters created: (\d+)/.exec(stderr);
  if (!found) throw new Error(`the probe did not report: ${stderr}`);
  return Number(found[1]);
}

const dir = mkdtempSync(join(tmpdir(), 'maas-vault-startup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('a command that prints no help creates no text segmenter', async () => {
  const config = join(dir, 'maas-vault.json');
  writeFileSync(config, JSON.stringify({ site: 'dc1', vault: { address: 'http://127.0.0.1:8200' }, controllers: [{ name: 'region-1' }] }));
  const result = await runCli(['policy', 'maas', '--config', config], { env: { NODE_OPTIONS: `--require=${PROBE}` } });
  expect(result.exitCode).toBe(0);
  expect(result.stdout).toContain('path "secret/data/maas/*"');
  expect(segmentersCreated(result.stderr)).toBe(0);
});

it('--help still measures and wraps its text (so the probe can see the modules load)', async () => {
  const result = await runCli(['credentials', '--help'], { env: { NODE_OPTIONS: `--require=${PROBE}`, COLUMNS: '80' } });
  expect(result.exitCode).toBe(0);
  expect(segmentersCreated(result.stderr)).toBeGreaterThan(0);
  expect(result.stdout).toMatch(/--revoke-previous\s+destroy each role's older secret IDs/);
});
