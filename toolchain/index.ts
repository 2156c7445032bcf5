/**
 * The real parts the tests and the demo run: OpenBao, a Terraform engine and
 * terraform-provider-vault, found or installed once and recorded in `<cache>/toolchain.json`.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBao, type BaoBinary } from './bao.js';
import { cacheRoot, ToolchainError } from './cache.js';
import { ensureEngine, type ToolchainEngine } from './engine.js';
import { ensureVaultProvider } from './provider.js';

export { ToolchainError } from './cache.js';

export interface Toolchain {
  cache: string;
  bao: BaoBinary;
  engine: ToolchainEngine;
  /** Filesystem mirror holding hashicorp/vault (pass as MAAS_VAULT_PROVIDER_MIRROR). */
  providerMirror: string;
  /** CLI config file pointing the engine at the mirror (for TF_CLI_CONFIG_FILE). */
  cliConfigFile: string;
  provider: { version: string; origin: string };
}

export interface EnsureOptions {
  progress?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

function manifestPath(cache: string): string {
  return join(cache, 'toolchain.json');
}

export async function ensureToolchain(options: EnsureOptions = {}): Promise<Toolchain> {
  const env = options.env ?? process.env;
  const progress = options.progress ?? (() => undefined);
  const cache = cacheRoot(env);
  mkdirSync(cache, { recursive: true });
  // The three pieces are independent; on a cold machine the two builds share the CPU anyway.
  const [bao, engine, provider] = await Promise.all([ensureBao(cache, progress), ensureEngine(cache, progress, env), ensureVaultProvider(cache, progress, env)]);
  const toolchain: Toolchain = {
    cache,
    bao,
    engine,
    providerMirror: provider.dir,
    cliConfigFile: provider.cliConfigFile,
    provider: { version: provider.version, origin: provider.origin },
  };
  writeFileSync(manifestPath(cache), `${JSON.stringify(toolchain, null, 2)}\n`);
  return toolchain;
}

/** The toolchain the last `npm run toolchain` recorded (tests read it instead of probing again). */
export function readToolchain(env: NodeJS.ProcessEnv = process.env): Toolchain {
  const path = manifestPath(cacheRoot(env));
  if (!existsSync(path)) throw new ToolchainError(`no toolchain recorded at ${path}: run \`npm run toolchain\` first`);
  return JSON.parse(readFileSync(path, 'utf8')) as Toolchain;
}

export function describeToolchain(toolchain: Toolchain): string {
  return [
    `bao ${toolchain.bao.version} (${toolchain.bao.path})`,
    `${toolchain.engine.kind} ${toolchain.engine.version} (${toolchain.engine.path}, ${toolchain.engine.source})`,
    `terraform-provider-vault ${toolchain.provider.version} (mirror ${toolchain.providerMirror}, from ${toolchain.provider.origin})`,
  ].join(', ');
}
