/** Where the toolchain is cached: by version, outside the repo, shared by every checkout. */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** `MAAS_VAULT_CACHE`, else `${XDG_CACHE_HOME:-~/.cache}/maas-vault`; always absolute. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MAAS_VAULT_CACHE) return resolve(env.MAAS_VAULT_CACHE);
  return resolve(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'maas-vault');
}

/** Terraform's platform name for this machine, e.g. `linux_amd64`. */
export function platform(): string {
  const os = process.platform === 'win32' ? 'windows' : process.platform;
  const arch = ({ x64: 'amd64', arm64: 'arm64', ia32: '386', arm: 'arm' } as Record<string, string>)[process.arch] ?? process.arch;
  return `${os}_${arch}`;
}

/** A piece of the toolchain that could not be had: which piece, which command, what to do. */
export class ToolchainError extends Error {
  override name = 'ToolchainError';
  readonly exitCode = 1;
}
