/**
 * terraform-provider-vault 5.6.0 in a filesystem mirror both engines read, so `init` never needs
 * the network. Sources, first that has it: MAAS_VAULT_PROVIDER_MIRROR, the cache, Terraform's
 * local plugin directories, then `go install`.
 */
import { chmodSync, copyFileSync, existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { VAULT_PROVIDER_ADDRESSES, writeMirrorCliConfig } from '../engine/provider-mirror.js';
import { VAULT_PROVIDER_VERSION } from '../stacks/vault-provider-version.js';
import { platform, ToolchainError } from './cache.js';
import { firstUsefulLine, tryCommand } from './commands.js';

export interface ProviderMirror {
  /** Filesystem mirror directory holding hashicorp/vault for both registry hostnames. */
  dir: string;
  /** CLI config file pointing the engine at `dir` (for TF_CLI_CONFIG_FILE). */
  cliConfigFile: string;
  version: string;
  /** Where the binary first came from (kept in the mirror, so a warm run reports the same). */
  origin: string;
}

const BINARY = `terraform-provider-vault_v${VAULT_PROVIDER_VERSION}`;
const GO_MODULE = `github.com/hashicorp/terraform-provider-vault@v${VAULT_PROVIDER_VERSION}`;

function binaryIn(mirrorDir: string, address: string): string {
  return join(mirrorDir, address, VAULT_PROVIDER_VERSION, platform(), BINARY);
}

/** The provider binary inside a mirror directory laid out for either hostname, if present. */
export function findInMirror(mirrorDir: string): string | undefined {
  return VAULT_PROVIDER_ADDRESSES.map((address) => binaryIn(mirrorDir, address)).find((path) => existsSync(path));
}

/** Terraform's and OpenTofu's implicit local mirrors, where admins drop providers by hand. */
function localPluginDirs(env: NodeJS.ProcessEnv): string[] {
  const dataHome = env.XDG_DATA_HOME || join(homedir(), '.local', 'share');
  return [
    join(homedir(), '.terraform.d', 'plugins'),
    join(dataHome, 'terraform', 'plugins'),
    join(dataHome, 'opentofu', 'plugins'),
    '/usr/local/share/terraform/plugins',
    '/usr/share/terraform/plugins',
  ];
}

export async function ensureVaultProvider(cache: string, progress: (line: string) => void, env: NodeJS.ProcessEnv = process.env): Promise<ProviderMirror> {
  const dir = join(cache, 'provider-mirror');
  const cliConfigFile = join(cache, 'terraformrc');
  const originFile = join(dir, '.origin');
  const mirror = (origin: string): ProviderMirror => {
    writeMirrorCliConfig(dir, cliConfigFile);
    writeFileSync(originFile, `${origin}\n`);
    return { dir, cliConfigFile, version: VAULT_PROVIDER_VERSION, origin };
  };

  if (env.MAAS_VAULT_PROVIDER_MIRROR) {
    const found = findInMirror(env.MAAS_VAULT_PROVIDER_MIRROR);
    if (!found) {
      throw new ToolchainError(
        `MAAS_VAULT_PROVIDER_MIRROR=${env.MAAS_VAULT_PROVIDER_MIRROR} holds no ${BINARY} for ${platform()}: ` +
          `expected ${binaryIn(env.MAAS_VAULT_PROVIDER_MIRROR, VAULT_PROVIDER_ADDRESSES[1])}`,
      );
    }
    progress(`taking terraform-provider-vault ${VAULT_PROVIDER_VERSION} from MAAS_VAULT_PROVIDER_MIRROR (${env.MAAS_VAULT_PROVIDER_MIRROR})`);
    install(found, dir);
    return mirror(`MAAS_VAULT_PROVIDER_MIRROR (${env.MAAS_VAULT_PROVIDER_MIRROR})`);
  }

  if (VAULT_PROVIDER_ADDRESSES.every((address) => existsSync(binaryIn(dir, address)))) {
    return mirror(existsSync(originFile) ? readFileSync(originFile, 'utf8').trim() : 'cache');
  }

  for (const pluginDir of localPluginDirs(env)) {
    const found = findInMirror(pluginDir);
    if (found) {
      progress(`taking terraform-provider-vault ${VAULT_PROVIDER_VERSION} from ${pluginDir}`);
      install(found, dir);
      return mirror(pluginDir);
    }
  }

  progress(`building terraform-provider-vault ${VAULT_PROVIDER_VERSION} with go install (first run only, a few minutes)...`);
  const gobin = mkdtempSync(join(cache, '.provider-build-'));
  try {
    const built = await tryCommand('go', ['install', GO_MODULE], { env: { ...env, GOBIN: gobin, GOFLAGS: '-mod=mod' } });
    const binary = join(gobin, 'terraform-provider-vault');
    if (!built.ok || !existsSync(binary)) {
      throw new ToolchainError(
        `terraform-provider-vault ${VAULT_PROVIDER_VERSION} could not be had: \`go install ${GO_MODULE}\` failed: ${firstUsefulLine(built.stderr)}. ` +
          `Put a ${BINARY} binary into a filesystem mirror (<dir>/registry.opentofu.org/hashicorp/vault/${VAULT_PROVIDER_VERSION}/${platform()}/${BINARY}) ` +
          'and point MAAS_VAULT_PROVIDER_MIRROR at <dir>.',
      );
    }
    install(binary, dir);
    return mirror('go install');
  } finally {
    rmSync(gobin, { recursive: true, force: true });
  }
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
  try {
    linkSync(source, staging);
  } catch {
    copyFileSync(source, staging);
  }
  chmodSync(staging, 0o755);
  renameSync(staging, target);
  // A stray partial file from an interrupted run is harmless but confusing: clear it.
  for (const name of readdirSync(targetDir)) if (name.endsWith('.tmp')) rmSync(join(targetDir, name), { force: true });
}
