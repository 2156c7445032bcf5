/**
 * The real parts the tests and the demo run: OpenBao, a Terraform engine and
 * terraform-provider-vault, found or installed once and recorded in `<cache>/toolchain.json`.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBao, type BaoBinary } from './bao.js';
import { cacheRoot, ToolchainError } from './cache.js';
import { ensureEngine, ensureOpenTofu, type OpenTofuResolution, type ToolchainEngine } from './engine.js';
import { ensureVaultServer, vaultServerFix, type VaultServerResolution } from './hashicorp-vault.js';
import { resolveExecutable } from './commands.js';
import { ensureVaultProvider, findInMirror, providerFix, type ProviderMirror, type ProviderResolution } from './provider.js';
import { VAULT_PROVIDER_VERSION } from '../stacks/vault-provider-version.js';

export { ToolchainError, cacheRoot } from './cache.js';
export { mirrorCliConfig, writeMirrorCliConfig } from './provider.js';
export type { BaoBinary } from './bao.js';
export type { OpenTofuResolution, ToolchainEngine } from './engine.js';
export type { VaultServerResolution } from './hashicorp-vault.js';
export type { ProviderMirror, ProviderMissing, ProviderResolution } from './provider.js';

export interface Toolchain {
  cache: string;
  bao: BaoBinary;
  engine: ToolchainEngine;
  /** Where hashicorp/vault 5.6.0 is, or why it could not be had (only the e2e tier and the demo need it). */
  provider: ProviderResolution;
  /** OpenTofu, whatever the main engine is: the state-encryption suites and the e2e core's second engine. */
  opentofu: OpenTofuResolution;
  /** HashiCorp Vault's server, the second column of the test matrix. */
  vaultServer: VaultServerResolution;
}

export interface EnsureOptions {
  progress?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
  /**
   * The pieces only the test matrix needs, each looked for (and built) unless set false here: the
   * demo on OpenBao must not spend twenty minutes building HashiCorp Vault. A piece left out keeps
   * what the last full run recorded.
   */
  want?: { vaultServer?: boolean; opentofu?: boolean };
}

function manifestPath(cache: string): string {
  return join(cache, 'toolchain.json');
}

export async function ensureToolchain(options: EnsureOptions = {}): Promise<Toolchain> {
  const env = options.env ?? process.env;
  const progress = options.progress ?? (() => undefined);
  const cache = cacheRoot(env);
  try {
    mkdirSync(cache, { recursive: true });
  } catch (error) {
    throw new ToolchainError(`cannot create the toolchain cache ${cache}: ${(error as Error).message}. Point MAAS_VAULT_CACHE at a writable directory.`);
  }
  // bao and the engine are independent and run side by side; the provider may need the engine
  // (its registry install), so it follows it. When one piece fails the other is stopped (its
  // command gets SIGTERM) and allowed to clean up before the first failure is reported.
  const abort = new AbortController();
  let firstFailure: { error: unknown } | undefined;
  const piece = <T>(work: Promise<T>): Promise<T> =>
    work.catch((error: unknown) => {
      if (!firstFailure) {
        firstFailure = { error };
        abort.abort();
      }
      throw error;
    });
  const previous = recordedPieces(cache);
  const notLookedFor = 'not looked for by this run (`npm run toolchain` does)';
  const wantVault = options.want?.vaultServer ?? true;
  const wantTofu = options.want?.opentofu ?? true;
  const [bao, engineAndProvider, vaultServer] = await Promise.allSettled([
    piece(ensureBao(cache, progress, env, abort.signal)),
    piece(
      ensureEngine(cache, progress, env, abort.signal).then(async (engine) => {
        const [provider, opentofu] = await Promise.all([
          ensureVaultProvider({ cache, progress, engine: engine.path, env, signal: abort.signal }),
          wantTofu ? ensureOpenTofu(cache, engine, progress, env, abort.signal) : (previous.opentofu ?? { found: false as const, reason: notLookedFor }),
        ]);
        return { engine, provider, opentofu };
      }),
    ),
    piece(
      wantVault
        ? ensureVaultServer(cache, progress, env, abort.signal)
        : Promise.resolve(previous.vaultServer ?? { found: false as const, reason: notLookedFor, fix: vaultServerFix() }),
    ),
  ]);
  if (firstFailure) throw firstFailure.error;
  if (bao.status !== 'fulfilled' || engineAndProvider.status !== 'fulfilled' || vaultServer.status !== 'fulfilled')
    throw new Error('internal: a toolchain piece failed unrecorded');
  const toolchain: Toolchain = { cache, bao: bao.value, ...engineAndProvider.value, vaultServer: vaultServer.value };
  // Written whole and renamed into place: a test reading it meanwhile never sees half a file.
  const staging = `${manifestPath(cache)}.${process.pid}.tmp`;
  writeFileSync(staging, `${JSON.stringify(toolchain, null, 2)}\n`);
  renameSync(staging, manifestPath(cache));
  return toolchain;
}

/** What an earlier run recorded of the pieces a partial run leaves out; nothing when unreadable. */
function recordedPieces(cache: string): Partial<Pick<Toolchain, 'vaultServer' | 'opentofu'>> {
  try {
    const recorded = JSON.parse(readFileSync(manifestPath(cache), 'utf8')) as Partial<Toolchain>;
    return { vaultServer: recorded.vaultServer, opentofu: recorded.opentofu };
  } catch {
    return {};
  }
}

/**
 * The toolchain the last `npm run toolchain` recorded (tests read it instead of probing again).
 * Checks only that the recorded files are still there: no command runs. A provider recorded as
 * found whose mirror has gone since is reported missing, never as found.
 */
export function readToolchain(env: NodeJS.ProcessEnv = process.env): Toolchain {
  const path = manifestPath(cacheRoot(env));
  if (!existsSync(path)) throw new ToolchainError(`no toolchain recorded at ${path}: run \`npm run toolchain\` first`);
  let toolchain: Toolchain;
  try {
    toolchain = JSON.parse(readFileSync(path, 'utf8')) as Toolchain;
  } catch (error) {
    throw new ToolchainError(`the toolchain record ${path} is unreadable (${(error as Error).message}): run \`npm run toolchain\` again`);
  }
  const missing = [
    ['bao', resolveExecutable(toolchain.bao?.path ?? '', env)],
    [toolchain.engine?.kind ?? 'engine', resolveExecutable(toolchain.engine?.path ?? '', env)],
  ].filter(([, found]) => !found);
  if (missing.length > 0) {
    throw new ToolchainError(`the toolchain recorded at ${path} lacks ${missing.map(([what]) => what).join(', ')} now: run \`npm run toolchain\` again`);
  }
  const provider = toolchain.provider;
  if (provider?.found && !(findInMirror(provider.dir) && existsSync(provider.cliConfigFile))) {
    toolchain.provider = {
      found: false,
      version: provider.version,
      reason: `the mirror ${provider.dir} recorded by \`npm run toolchain\` has gone`,
      fix: providerFix(env),
    };
  }
  if (!toolchain.provider) toolchain.provider = { found: false, version: VAULT_PROVIDER_VERSION, reason: 'no provider recorded', fix: providerFix(env) };
  const vaultServer = toolchain.vaultServer;
  if (!vaultServer) toolchain.vaultServer = { found: false, reason: 'no HashiCorp Vault recorded', fix: vaultServerFix() };
  else if (vaultServer.found && !resolveExecutable(vaultServer.path, env)) {
    toolchain.vaultServer = { found: false, reason: `${vaultServer.path} recorded by \`npm run toolchain\` has gone`, fix: vaultServerFix() };
  }
  const opentofu = toolchain.opentofu;
  if (!opentofu) toolchain.opentofu = { found: false, reason: 'no OpenTofu recorded' };
  else if (opentofu.found && !resolveExecutable(opentofu.path, env))
    toolchain.opentofu = { found: false, reason: `${opentofu.path} recorded by \`npm run toolchain\` has gone` };
  return toolchain;
}

/** The provider mirror, or the one message that says it is missing and how to supply it (exit 1). */
export function requireProvider(toolchain: Pick<Toolchain, 'provider'>): ProviderMirror {
  const provider = toolchain.provider;
  if (provider.found) return provider;
  throw new ToolchainError(`terraform-provider-vault ${provider.version} is missing: ${provider.reason}. To supply it, ${provider.fix}.`);
}

export function describeToolchain(toolchain: Toolchain): string {
  return [
    `bao ${toolchain.bao.version} (${toolchain.bao.path})`,
    `${toolchain.engine.kind} ${toolchain.engine.version} (${toolchain.engine.path}, ${toolchain.engine.source})`,
    toolchain.provider.found
      ? `terraform-provider-vault ${toolchain.provider.version} (mirror ${toolchain.provider.dir}, from ${toolchain.provider.origin})`
      : `terraform-provider-vault ${toolchain.provider.version} MISSING (${toolchain.provider.reason})`,
    toolchain.opentofu.found
      ? toolchain.opentofu.path === toolchain.engine.path
        ? 'OpenTofu: the engine above'
        : `OpenTofu ${toolchain.opentofu.version} (${toolchain.opentofu.path}, ${toolchain.opentofu.source})`
      : `OpenTofu MISSING (${toolchain.opentofu.reason})`,
    toolchain.vaultServer.found
      ? `HashiCorp Vault ${toolchain.vaultServer.version} (${toolchain.vaultServer.path}, ${toolchain.vaultServer.source})`
      : `HashiCorp Vault MISSING (${toolchain.vaultServer.reason})`,
  ].join(', ');
}
