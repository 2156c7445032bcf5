/**
 * The toolchain installer: a warm run reuses the cache; a missing provider is reported (exit 0,
 * within seconds, naming the fix) because only the e2e tier and the demo need it; a piece the
 * other tiers need stops it with exit 1 and a message naming the piece and what to do.
 */
import { mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { readToolchain } from '../../toolchain/index.js';
import { requireFreshBuild } from '../support/cli.js';

requireFreshBuild();

const SCRIPT = fileURLToPath(new URL('../../dist/scripts/install-toolchain.js', import.meta.url));

function install(env: Record<string, string | undefined>) {
  return execa(process.execPath, [SCRIPT], { reject: false, env: { ...process.env, ...env } });
}

/**
 * A machine with nothing in the cache and no plugin directory, where bao, OpenTofu and HashiCorp
 * Vault are already known (so neither pip nor a 20-minute build is needed).
 */
function freshMachine(): Record<string, string> {
  const home = mkdtempSync(join(tmpdir(), 'maas-vault-home-'));
  const toolchain = readToolchain();
  const bin = join(home, 'bin');
  mkdirSync(bin);
  symlinkSync(toolchain.bao.path, join(bin, 'bao'));
  if (toolchain.opentofu.found) symlinkSync(toolchain.opentofu.path, join(bin, 'tofu'));
  const vault: Record<string, string> = toolchain.vaultServer.found ? { MAAS_VAULT_SERVER_BIN: toolchain.vaultServer.path } : { MAAS_VAULT_SERVERS: 'openbao' };
  return {
    HOME: home,
    XDG_DATA_HOME: join(home, 'data'),
    XDG_DATA_DIRS: join(home, 'none'),
    MAAS_VAULT_CACHE: join(home, 'cache'),
    PATH: `${bin}:${process.env.PATH}`,
    ...vault,
  };
}

it('a warm run finds everything in the cache and records the same toolchain', async () => {
  // The baseline is a warm run in this very environment: other suites (\`dev\` with MAAS_VAULT_ENGINE)
  // may have recorded the same tools found another way.
  expect((await install({})).exitCode).toBe(0);
  const before = readToolchain();
  const result = await install({});
  expect(result.exitCode).toBe(0);
  expect(result.stderr).toMatch(/^toolchain ready in \d+\.\ds \(everything from the cache\): bao \d+\.\d+\.\d+ .*terraform-provider-vault 5\.6\.0 /m);
  expect(result.stderr).not.toMatch(/installing|building/);
  expect(readToolchain()).toEqual(before);
});

it('with no provider anywhere and no registry: exit 0 within seconds, the e2e tier named, both fixes given', async () => {
  const env = freshMachine();
  const started = Date.now();
  const result = await install({ ...env, MAAS_VAULT_PROVIDER_MIRROR: undefined });
  expect(Date.now() - started).toBeLessThan(30_000);
  expect(result.exitCode).toBe(0);
  expect(result.stderr).toMatch(
    /terraform-provider-vault 5\.6\.0 MISSING \(not in MAAS_VAULT_PROVIDER_MIRROR \(unset\), the cache .*, nor the local plugin directories; the engine's registry install failed: .+\)/,
  );
  expect(result.stderr).toContain('the e2e tier is skipped and `npm run demo` cannot run');
  expect(result.stderr).toContain('export MAAS_VAULT_PROVIDER_MIRROR=<dir>');
  expect(result.stderr).toContain(join(env.HOME, '.terraform.d/plugins/registry.terraform.io/hashicorp/vault/5.6.0/'));
  expect(result.stderr).not.toMatch(/go install/);
  // Nothing says "ready" before it says what is missing, and the ready line names it.
  const lines = result.stderr.trimEnd().split('\n');
  const ready = lines.findIndex((line) => /ready|done/.test(line));
  expect(lines[ready]).toMatch(/^toolchain ready without terraform-provider-vault 5\.6\.0 \(no e2e tier, no demo\)/);
  expect(ready).toBeGreaterThan(lines.findIndex((line) => line.includes('terraform-provider-vault 5.6.0 is missing')));
  const recorded = readToolchain({ MAAS_VAULT_CACHE: env.MAAS_VAULT_CACHE, PATH: env.PATH });
  expect(recorded.provider.found).toBe(false);
});

it('names the mirror and the expected layout when MAAS_VAULT_PROVIDER_MIRROR lacks the provider', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'maas-vault-mirror-'));
  const result = await install({ ...freshMachine(), MAAS_VAULT_PROVIDER_MIRROR: empty });
  expect(result.exitCode).toBe(0);
  expect(result.stderr).toContain(`MAAS_VAULT_PROVIDER_MIRROR=${empty} holds no terraform-provider-vault_v5.6.0 for`);
  expect(result.stderr).toContain(`expected ${empty}/registry.opentofu.org/hashicorp/vault/5.6.0/`);
});

it('records HashiCorp Vault named by MAAS_VAULT_SERVER_BIN, and refuses a binary that is not Vault', async () => {
  const toolchain = readToolchain();
  if (toolchain.vaultServer.found) {
    const env = freshMachine();
    expect((await install(env)).exitCode).toBe(0);
    const recorded = readToolchain({ MAAS_VAULT_CACHE: env.MAAS_VAULT_CACHE, PATH: env.PATH });
    expect(recorded.vaultServer).toEqual({
      found: true,
      path: toolchain.vaultServer.path,
      version: toolchain.vaultServer.version,
      source: 'MAAS_VAULT_SERVER_BIN',
    });
  }
  // bao answers `version` with "OpenBao v…": it is not taken for HashiCorp Vault.
  const wrong = await install({ ...freshMachine(), MAAS_VAULT_SERVERS: undefined, MAAS_VAULT_SERVER_BIN: toolchain.bao.path });
  expect(wrong.exitCode).toBe(1);
  expect(wrong.stderr).toContain(`MAAS_VAULT_SERVER_BIN=${toolchain.bao.path} is not a HashiCorp Vault binary`);
});

it('names the engine that cannot run', async () => {
  const result = await install({ ...freshMachine(), MAAS_VAULT_ENGINE: '/nonexistent/tofu' });
  expect(result.exitCode).toBe(1);
  expect(result.stderr).toContain('toolchain: MAAS_VAULT_ENGINE /nonexistent/tofu: cannot run "/nonexistent/tofu"');
});
