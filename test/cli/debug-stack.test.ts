/**
 * What synth pays to load cdktf: it comes from the bundle, not as ~300 files from node_modules each
 * resolved, scanned and compiled alone (about 100 ms), and with Node's source maps off, since cdktf,
 * constructs and the provider bindings carry an inline map per file that Node would decode (about
 * 60 ms). Source maps cost nothing until needed: with MAAS_VAULT_DEBUG=1 a failure's stack trace
 * names maas-vault's TypeScript sources, for bug reports.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../support/cli.js';

const PROBE = fileURLToPath(new URL('../support/source-map-probe.cjs', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'maas-vault-maps-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeConfig(name: string, config: Record<string, unknown>): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(config));
  return path;
}

it('synth loads cdktf from the bundle, with no source map decoded', async () => {
  const config = writeConfig('ok.json', {
    site: 'dc1',
    vault: { address: 'http://127.0.0.1:8200' },
    controllers: [{ name: 'region-1' }],
    workDir: join(dir, 'work'),
  });
  const result = await runCli(['synth', '--config', config], { cwd: ROOT, env: { NODE_OPTIONS: `--require=${PROBE}` } });
  expect(result.exitCode).toBe(0);
  expect(result.stderr).toContain('synth probe: cdktf-files-from-node_modules=0 source-maps=false');
});

it('MAAS_VAULT_DEBUG=1 adds the stack trace, mapped to the TypeScript sources', async () => {
  const config = writeConfig('bad.json', { site: 'dc1', vault: { address: 'http://127.0.0.1:8200' }, controllers: [] });
  const plain = await runCli(['policy', 'maas', '--config', config]);
  expect(plain.exitCode).toBe(2);
  expect(plain.stderr.trim().split('\n')).toHaveLength(1);

  const debug = await runCli(['policy', 'maas', '--config', config], { env: { MAAS_VAULT_DEBUG: '1' } });
  expect(debug.exitCode).toBe(2);
  const [first, ...stack] = debug.stderr.trim().split('\n');
  expect(first).toBe(plain.stderr.trim());
  expect(stack.join('\n')).toMatch(/^ {4}at .*config\/load\.ts:\d+:\d+/m);
  expect(stack.join('\n')).not.toMatch(/dist\/bundle\/maas-vault\.js/);
});
