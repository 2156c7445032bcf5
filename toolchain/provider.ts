/**
 * terraform-provider-vault 5.6.0 in a filesystem mirror both engines read, so `init` in the
 * tests and the demo never needs the network. Found the way a Terraform user expects, first that
 * has it: MAAS_VAULT_PROVIDER_MIRROR, the cache, the engines' local plugin directories, then the
 * engine's own registry install at `init`, bounded so an offline machine is told within seconds.
 * A provider that cannot be had is a result, not an exception: the tiers that need no provider
 * still run, and whoever needs it (the demo, the e2e tier) says what is missing and how to supply it.
 */
import {
  chmodSync,
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { VAULT_PROVIDER_ADDRESSES, writeMirrorCliConfig } from '../engine/provider-mirror.js';
import { VAULT_PROVIDER_VERSION } from '../stacks/vault-provider-version.js';
import { platform } from './cache.js';
import { firstUsefulLine, tryCommand } from './commands.js';

export { mirrorCliConfig, writeMirrorCliConfig } from '../engine/provider-mirror.js';

export interface ProviderMirror {
  found: true;
  /** Filesystem mirror directory holding hashicorp/vault for both registry hostnames. */
  dir: string;
  /** CLI config file pointing the engine at `dir` (for TF_CLI_CONFIG_FILE). */
  cliConfigFile: string;
  version: string;
  /** Where the binary first came from (kept in the mirror, so a warm run reports the same). */
  origin: string;
}

export interface ProviderMissing {
  found: false;
  version: string;
  /** Where it was looked for and why each place failed, in one sentence. */
  reason: string;
  /** What a person does about it. */
  fix: string;
}

export type ProviderResolution = ProviderMirror | ProviderMissing;

const BINARY = `terraform-provider-vault_v${VAULT_PROVIDER_VERSION}`;
/** An offline engine fails its registry look-up in about a second; a black-holed network must not hang the demo. */
export const REGISTRY_TIMEOUT_MS = 20_000;

function binaryIn(mirrorDir: string, address: string): string {
  return join(mirrorDir, address, VAULT_PROVIDER_VERSION, platform(), BINARY);
}

/** The provider binary inside a mirror directory laid out for either hostname, if present. */
export function findInMirror(mirrorDir: string): string | undefined {
  return VAULT_PROVIDER_ADDRESSES.map((address) => binaryIn(mirrorDir, address)).find((path) => existsSync(path));
}

/** Terraform's and OpenTofu's implicit local mirrors, where admins drop providers by hand. */
export function localPluginDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const home = env.HOME || homedir();
  const dataHome = env.XDG_DATA_HOME || join(home, '.local', 'share');
  const dataDirs = (env.XDG_DATA_DIRS || '/usr/local/share:/usr/share').split(':').filter((dir) => dir !== '');
  const dirs = [join(home, '.terraform.d', 'plugins')];
  for (const engine of ['terraform', 'opentofu']) dirs.push(join(dataHome, engine, 'plugins'), ...dataDirs.map((dir) => join(dir, engine, 'plugins')));
  return [...new Set(dirs)];
}

/** The two ways to supply the provider without a registry, for every message that reports it missing. */
export function providerFix(env: NodeJS.ProcessEnv = process.env): string {
  return (
    `put ${BINARY} into a filesystem mirror at <dir>/registry.opentofu.org/hashicorp/vault/${VAULT_PROVIDER_VERSION}/${platform()}/${BINARY} ` +
    `(or the same under registry.terraform.io) and export MAAS_VAULT_PROVIDER_MIRROR=<dir>, ` +
    `or put it into the local plugin directory ${binaryIn(localPluginDirs(env)[0], VAULT_PROVIDER_ADDRESSES[0])}`
  );
}

/** Why a mirror named by MAAS_VAULT_PROVIDER_MIRROR does not do: where the provider was expected in it. */
export function mirrorLacksProvider(mirror: string): string {
  return (
    `MAAS_VAULT_PROVIDER_MIRROR=${mirror} holds no ${BINARY} for ${platform()}: ` +
    `expected ${binaryIn(resolve(mirror), VAULT_PROVIDER_ADDRESSES[1])} (or the same under registry.terraform.io)`
  );
}

export interface ProviderOptions {
  cache: string;
  progress: (line: string) => void;
  /** The engine that may install the provider from its own registry; absent when none was found. */
  engine?: string;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  registryTimeoutMs?: number;
}

export async function ensureVaultProvider(options: ProviderOptions): Promise<ProviderResolution> {
  const { cache, progress, signal } = options;
  const env = options.env ?? process.env;
  const dir = join(cache, 'provider-mirror');
  const cliConfigFile = join(cache, 'terraformrc');
  const originFile = join(dir, '.origin');
  const mirror = (origin: string): ProviderMirror => {
    writeMirrorCliConfig(dir, cliConfigFile);
    writeFileSync(originFile, `${origin}\n`);
    return { found: true, dir, cliConfigFile, version: VAULT_PROVIDER_VERSION, origin };
  };
  const missing = (reason: string): ProviderMissing => ({ found: false, version: VAULT_PROVIDER_VERSION, reason, fix: providerFix(env) });

  if (env.MAAS_VAULT_PROVIDER_MIRROR) {
    // Set on purpose (an air-gapped site): a mirror without the provider is a mistake to report,
    // not a reason to quietly take the provider from somewhere else.
    const userMirror = resolve(env.MAAS_VAULT_PROVIDER_MIRROR);
    const found = findInMirror(userMirror);
    if (!found) {
      return missing(mirrorLacksProvider(env.MAAS_VAULT_PROVIDER_MIRROR));
    }
    if (!sameFile(found, binaryIn(dir, VAULT_PROVIDER_ADDRESSES[0])) || !sameFile(found, binaryIn(dir, VAULT_PROVIDER_ADDRESSES[1]))) {
      progress(`taking terraform-provider-vault ${VAULT_PROVIDER_VERSION} from MAAS_VAULT_PROVIDER_MIRROR (${userMirror})`);
      install(found, dir);
    }
    return mirror(`MAAS_VAULT_PROVIDER_MIRROR (${userMirror})`);
  }

  if (VAULT_PROVIDER_ADDRESSES.every((address) => existsSync(binaryIn(dir, address)))) {
    return mirror(existsSync(originFile) ? readFileSync(originFile, 'utf8').trim() : 'cache');
  }

  const pluginDirs = localPluginDirs(env);
  for (const pluginDir of pluginDirs) {
    const found = findInMirror(pluginDir);
    if (found) {
      progress(`taking terraform-provider-vault ${VAULT_PROVIDER_VERSION} from ${pluginDir}`);
      install(found, dir);
      return mirror(pluginDir);
    }
  }

  const notHere = `not in MAAS_VAULT_PROVIDER_MIRROR (unset), the cache ${dir}, nor the local plugin directories`;
  if (!options.engine) return missing(`${notHere}, and no engine was found to install it from its registry`);
  const fromRegistry = await installFromRegistry(options.engine, cache, env, options.registryTimeoutMs ?? REGISTRY_TIMEOUT_MS, signal);
  if (typeof fromRegistry === 'string') return missing(`${notHere}; the engine's registry install failed: ${fromRegistry}`);
  progress(`installed terraform-provider-vault ${VAULT_PROVIDER_VERSION} from the engine's registry`);
  install(fromRegistry.binary, dir);
  rmSync(fromRegistry.work, { recursive: true, force: true });
  return mirror("the engine's registry");
}

/**
 * What every Terraform user relies on: `init` downloads the provider from the engine's registry.
 * The plugin cache it fills has the unpacked mirror layout, so the binary is taken from there.
 */
async function installFromRegistry(
  engine: string,
  cache: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<{ binary: string; work: string } | string> {
  const work = mkdtempSync(join(cache, '.provider-registry-'));
  const pluginCache = join(work, 'plugin-cache');
  mkdirSync(pluginCache);
  writeFileSync(
    join(work, 'main.tf.json'),
    JSON.stringify({ terraform: { required_providers: { vault: { source: 'hashicorp/vault', version: VAULT_PROVIDER_VERSION } } } }),
  );
  const childEnv: Record<string, string | undefined> = { ...env, TF_PLUGIN_CACHE_DIR: pluginCache, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' };
  // The user's own CLI config may point at a mirror we already know lacks it; ask the registry.
  delete childEnv.TF_CLI_CONFIG_FILE;
  const result = await tryCommand(engine, ['init', '-backend=false', '-input=false', '-no-color'], { cwd: work, env: childEnv, timeoutMs, signal });
  const binary = findInMirror(pluginCache);
  if (result.ok && binary) return { binary, work };
  rmSync(work, { recursive: true, force: true });
  if (result.timedOut) return `no answer within ${Math.round(timeoutMs / 1000)} s`;
  return registryErrorLine(result.stderr || result.stdout);
}

/** The engine's reason in one line: "could not connect to …: … no such host". */
function registryErrorLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const reason = /(could not connect to .*?)(?: To see which modules| Error:|$)/.exec(flat)?.[1];
  return (reason ?? firstUsefulLine(text)).slice(0, 300);
}

/** The same bytes already: a hard link to it, or a copy of the same size made after it changed. */
function sameFile(source: string, target: string): boolean {
  if (!existsSync(target)) return false;
  const a = statSync(source);
  const b = statSync(target);
  return (a.dev === b.dev && a.ino === b.ino) || (a.size === b.size && b.mtimeMs >= a.mtimeMs);
}

/** Places one binary under both hostnames (hard links where the filesystem allows). */
function install(binary: string, mirrorDir: string): void {
  const [first, ...others] = VAULT_PROVIDER_ADDRESSES.map((address) => binaryIn(mirrorDir, address));
  placeFile(binary, first);
  for (const target of others) placeFile(first, target);
}

function placeFile(source: string, target: string): void {
  const targetDir = join(target, '..');
  mkdirSync(targetDir, { recursive: true });
  if (source === target) return;
  const staging = `${target}.${process.pid}.tmp`;
  rmSync(staging, { force: true });
  // A hard link shares its mode with the source: link only what is executable already, so the
  // user's own file is never changed.
  const executable = (statSync(source).mode & 0o111) === 0o111;
  let linked = false;
  if (executable) {
    try {
      linkSync(source, staging);
      linked = true;
    } catch {
      // another filesystem, or links not allowed: copy
    }
  }
  if (!linked) {
    copyFileSync(source, staging);
    chmodSync(staging, 0o755);
  }
  renameSync(staging, target);
  // A partial file an interrupted run left behind is harmless but confusing: clear old ones.
  for (const name of readdirSync(targetDir)) {
    const path = join(targetDir, name);
    try {
      if (name.endsWith('.tmp') && Date.now() - statSync(path).ctimeMs > 60 * 60_000) rmSync(path, { force: true });
    } catch {
      // renamed away by the run that made it
    }
  }
}
