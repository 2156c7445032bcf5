/**
 * HashiCorp Vault's server, the one MAAS's docs name, for the test matrix and `maas-vault dev
 * --server vault`: MAAS_VAULT_SERVER_BIN, else `vault` on PATH, else the cached build, else a build
 * of github.com/hashicorp/vault from the Go module proxy.
 *
 * Why VAULT_VERSION is 1.17.6: the module's go.mod replaces `api`, `sdk` and `api/auth/*` with
 * in-tree directories that the module zip omits. With those directives dropped the released
 * `api v1.14.0` and `sdk v0.13.0` it requires match its code and it builds; for 1.20 and 1.21 no
 * released `sdk` matches (measured: the build fails on changed sdk symbols). Vault 1.15+ is BSL,
 * which allows this non-production use.
 *
 * A server that cannot be had is a result, not a failure: the OpenBao suites still run, and the
 * HashiCorp Vault suites are skipped, saying why (MAAS_VAULT_SERVERS=require makes that a failure).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ToolchainError } from './cache.js';
import { heartbeat, resolveExecutable, tryCommand } from './commands.js';
import { buildInCopy, downloadModule } from './go-build.js';

export const VAULT_VERSION = '1.17.6';
const VAULT_MODULE = 'github.com/hashicorp/vault';

export interface VaultServerBinary {
  found: true;
  path: string;
  version: string;
  source: 'MAAS_VAULT_SERVER_BIN' | 'PATH' | 'built from the Go module proxy';
}

export interface VaultServerMissing {
  found: false;
  reason: string;
  fix: string;
}

export type VaultServerResolution = VaultServerBinary | VaultServerMissing;

export function builtVaultPath(cache: string, version = VAULT_VERSION): string {
  return join(cache, `hashicorp-vault-${version}`, 'vault');
}

export function vaultServerFix(): string {
  return `put a HashiCorp Vault \`vault\` binary on PATH or name it in MAAS_VAULT_SERVER_BIN, or let \`npm run toolchain\` build ${VAULT_VERSION} (needs go and the Go module proxy, about 20 minutes once)`;
}

/** `MAAS_VAULT_SERVERS=openbao` leaves HashiCorp Vault out (no look-up, no build): a quick local run. */
export function vaultServerWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.MAAS_VAULT_SERVERS !== 'openbao';
}

export async function ensureVaultServer(
  cache: string,
  progress: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
  signal?: AbortSignal,
): Promise<VaultServerResolution> {
  if (!vaultServerWanted(env)) return { found: false, reason: 'MAAS_VAULT_SERVERS=openbao leaves it out', fix: 'unset MAAS_VAULT_SERVERS' };
  const named = env.MAAS_VAULT_SERVER_BIN;
  if (named) {
    const path = resolveExecutable(named, env);
    const version = path ? await vaultVersion(path, signal) : undefined;
    if (!path || !version) {
      // Named on purpose: a wrong name is a mistake to fix, not a reason to build something else.
      throw new ToolchainError(`MAAS_VAULT_SERVER_BIN=${named} is not a HashiCorp Vault binary (\`${named} version\` must print "Vault v…"): fix or unset it`);
    }
    return { found: true, path, version, source: 'MAAS_VAULT_SERVER_BIN' };
  }
  const onPath = resolveExecutable('vault', env);
  const pathVersion = onPath ? await vaultVersion(onPath, signal) : undefined;
  if (onPath && pathVersion) return { found: true, path: onPath, version: pathVersion, source: 'PATH' };

  const cached = builtVaultPath(cache);
  if (existsSync(cached)) {
    const version = await vaultVersion(cached, signal);
    if (version) return { found: true, path: cached, version, source: 'built from the Go module proxy' };
  }
  return buildVault(cache, progress, env, signal);
}

async function buildVault(cache: string, progress: (line: string) => void, env: NodeJS.ProcessEnv, signal?: AbortSignal): Promise<VaultServerResolution> {
  if (!resolveExecutable('go', env))
    return { found: false, reason: `no \`vault\` on PATH, none cached, and no go to build ${VAULT_VERSION} with`, fix: vaultServerFix() };
  progress(`building HashiCorp Vault ${VAULT_VERSION} from the Go module proxy (first run only, about 20 minutes on 2 cores)...`);
  const stopBeat = heartbeat(progress, 'building HashiCorp Vault', 60_000);
  try {
    const module = await downloadModule(VAULT_MODULE, VAULT_VERSION, env, signal);
    if (!module.ok) return { found: false, reason: `\`${module.command}\` failed: ${module.error}`, fix: vaultServerFix() };
    const built = await buildInCopy({
      moduleDir: module.dir!,
      cache,
      pkg: '.',
      ldflags: '-s -w',
      destination: builtVaultPath(cache),
      dropLocalReplaces: true,
      env,
      signal,
      progress,
      verify: async (binary) => {
        const version = await vaultVersion(binary, signal);
        if (version !== VAULT_VERSION) throw new ToolchainError(`HashiCorp Vault ${VAULT_VERSION} was built but reports itself as ${version ?? 'nothing'}`);
      },
    });
    if (typeof built !== 'string') return { found: false, reason: `\`${built.command}\` failed: ${built.reason}`, fix: vaultServerFix() };
    return { found: true, path: built, version: VAULT_VERSION, source: 'built from the Go module proxy' };
  } catch (error) {
    if (signal?.aborted) throw error;
    return { found: false, reason: (error as Error).message, fix: vaultServerFix() };
  } finally {
    stopBeat();
  }
}

/** "Vault v1.17.6 (…)"; OpenBao's binary says "OpenBao v…", so a `vault` that is really bao is not taken. */
async function vaultVersion(command: string, signal?: AbortSignal): Promise<string | undefined> {
  const result = await tryCommand(command, ['version'], { timeoutMs: 30_000, signal, env: { ...process.env, VAULT_ADDR: undefined } }).catch(() => undefined);
  if (!result?.ok) return undefined;
  return /^Vault v(\d+\.\d+\.\d+\S*)/m.exec(result.stdout)?.[1];
}
