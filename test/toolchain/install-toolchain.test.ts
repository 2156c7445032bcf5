/**
 * The toolchain installer: a warm run reuses the cache, and a piece that cannot be had stops it
 * with exit 1 and a message naming the piece and what to do.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { readToolchain } from '../../toolchain/index.js';

const SCRIPT = fileURLToPath(new URL('../../dist/scripts/install-toolchain.js', import.meta.url));

function install(env: Record<string, string | undefined>) {
  return execa(process.execPath, [SCRIPT], { reject: false, env: { ...process.env, ...env } });
}

it('a warm run finds everything in the cache and records the same toolchain', async () => {
  const before = readToolchain();
  const result = await install({});
  expect(result.exitCode).toBe(0);
  expect(result.stderr).toMatch(/^toolchain ready in \d+\.\ds \(everything from the cache\): bao \d+\.\d+\.\d+ .*terraform-provider-vault 5\.6\.0 \(mirror .*\)$/m);
  expect(result.stderr).not.toMatch(/installing|building/);
  expect(readToolchain()).toEqual(before);
});

it('names the mirror and the expected layout when MAAS_VAULT_PROVIDER_MIRROR lacks the provider', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'maas-vault-mirror-'));
  const result = await install({ MAAS_VAULT_CACHE: mkdtempSync(join(tmpdir(), 'maas-vault-cache-')), MAAS_VAULT_PROVIDER_MIRROR: empty });
  expect(result.exitCode).toBe(1);
  expect(result.stderr).toContain(`toolchain: MAAS_VAULT_PROVIDER_MIRROR=${empty} holds no terraform-provider-vault_v5.6.0 for`);
  expect(result.stderr).toContain(`expected ${empty}/registry.opentofu.org/hashicorp/vault/5.6.0/`);
});

it('names the engine that cannot run', async () => {
  const result = await install({ MAAS_VAULT_CACHE: mkdtempSync(join(tmpdir(), 'maas-vault-cache-')), MAAS_VAULT_ENGINE: '/nonexistent/tofu' });
  expect(result.exitCode).toBe(1);
  expect(result.stderr).toContain('toolchain: MAAS_VAULT_ENGINE /nonexistent/tofu: cannot run "/nonexistent/tofu"');
});
