/**
 * Synthesizes a config's stack and prepares the engine to run on it, with the provider taken
 * from a filesystem mirror when MAAS_VAULT_PROVIDER_MIRROR names one (air-gapped sites).
 */
import { chmodSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { MaasVaultConfig } from '../config/index.js';
import { synthStack } from '../stacks/synth.js';
import { writeMirrorCliConfig } from './provider-mirror.js';
import { Engine } from './engine.js';
import { locateEngine, type EngineBinary } from './locate.js';

export interface StackRunnerOptions {
  config: MaasVaultConfig;
  /** --engine: tofu, terraform or a path; or the engine already located. */
  engine?: string | EngineBinary;
  /** Vault token for the provider (from VAULT_TOKEN). */
  token?: string;
  onOutput?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

export async function prepareStack(options: StackRunnerOptions): Promise<{ engine: Engine; stackDir: string; statePath: string }> {
  const env = options.env ?? process.env;
  // The engine's version probe is a child process: let it run while synth keeps this one busy.
  const located = typeof options.engine === 'object'
    ? Promise.resolve(options.engine)
    : locateEngine(options.engine ?? env.MAAS_VAULT_ENGINE, options.engine ? '--engine' : 'MAAS_VAULT_ENGINE');
  located.catch(() => undefined);
  const { stackDir, statePath } = synthStack(options.config);
  const binary = await located;
  const engineEnv: Record<string, string | undefined> = {
    VAULT_TOKEN: options.token,
    // The provider must reach the same Vault the config names, whatever the caller exported.
    VAULT_ADDR: options.config.vault.address,
  };
  if (env.MAAS_VAULT_PROVIDER_MIRROR) {
    const cliConfig = join(options.config.workDir, 'terraformrc');
    writeMirrorCliConfig(env.MAAS_VAULT_PROVIDER_MIRROR, cliConfig);
    engineEnv.TF_CLI_CONFIG_FILE = cliConfig;
  }
  const engine = new Engine({ binary, stackDir, env: engineEnv, onOutput: options.onOutput });
  return { engine, stackDir, statePath };
}

/** State and its backup hold wrapping tokens: owner-only, whatever umask the engine ran under. */
export function protectState(statePath: string): void {
  for (const path of [statePath, `${statePath}.backup`]) if (existsSync(path)) chmodSync(path, 0o600);
}
