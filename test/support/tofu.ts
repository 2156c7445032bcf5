/**
 * OpenTofu for the tests that need it (state encryption): MAAS_VAULT_TOFU, else `tofu` on PATH,
 * else one the toolchain built into its cache. Without any, those suites are jest's visible skip.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cacheRoot } from '../../toolchain/index.js';
import { builtTofuPath, OPENTOFU_FALLBACK_VERSION, OPENTOFU_VERSION } from '../../toolchain/engine.js';
import { describeE2E } from './tiers.js';

function findTofu(): string | undefined {
  if (process.env.MAAS_VAULT_TOFU) return process.env.MAAS_VAULT_TOFU;
  try {
    execFileSync('tofu', ['version'], { stdio: 'ignore' });
    return 'tofu';
  } catch {
    // not on PATH
  }
  return [OPENTOFU_VERSION, OPENTOFU_FALLBACK_VERSION].map((version) => builtTofuPath(cacheRoot(), version)).find((path) => existsSync(path));
}

export const tofuPath = findTofu();

export const describeWithTofu: jest.Describe = tofuPath ? describeE2E : describe.skip;
