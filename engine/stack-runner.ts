/**
 * Synthesizes a config's stack and prepares the engine to run on it, with the provider taken
 * from a filesystem mirror when MAAS_VAULT_PROVIDER_MIRROR names one (air-gapped sites).
 */
import { join } from 'node:path';
import type { MaasVaultConfig } from '../config/index.js';
import { synthOnce } from '../stacks/synth-once.js';
import type { StackImports } from '../stacks/import-ids.js';
import { writeMirrorCliConfig } from './provider-mirror.js';
import { Engine } from './engine.js';
import { locateEngine, type EngineBinary } from './locate.js';
import { keepGoodState } from './state.js';
import { engineApplicationName, requirePgConnection } from './pg-connection.js';
import { encryptionEnv } from './state-encryption-env.js';

export interface StackRunnerOptions {
  config: MaasVaultConfig;
  /** --engine: tofu, terraform or a path; or the engine located (or being located) by the caller. */
  engine?: string | EngineBinary | Promise<EngineBinary>;
  /** Vault token for the provider (from VAULT_TOKEN). */
  token?: string;
  onOutput?: (line: string) => void;
  /** What maas-vault did to the state file (a broken one restored), for the user. */
  onNotice?: (text: string) => void;
  env?: NodeJS.ProcessEnv;
  /** Objects of a hand-made set-up to import (see vault/adoption.ts). */
  imports?: StackImports;
  /** How long plan, apply and destroy wait for the state lock (e.g. `5s`). */
  lockTimeout?: string;
}

export async function prepareStack(options: StackRunnerOptions): Promise<{ engine: Engine; stackDir: string; statePath: string; jsonPath: string }> {
  const env = options.env ?? process.env;
  if (options.config.state.backend === 'pg') requirePgConnection(env);
  // The engine's version probe is a child process: let it run while synth keeps this one busy.
  const located = typeof options.engine === 'object'
    ? Promise.resolve(options.engine)
    : locateEngine(options.engine ?? env.MAAS_VAULT_ENGINE, options.engine ? '--engine' : 'MAAS_VAULT_ENGINE');
  located.catch(() => undefined);
  const { stackDir, statePath, jsonPath } = await synthOnce(options.config, undefined, options.imports);
  const binary = await located;
  // Refused here, before the engine first runs: Terraform would write the state in clear.
  const encryption = encryptionEnv(options.config, binary, env);
  const engineEnv: Record<string, string | undefined> = {
    VAULT_TOKEN: options.token,
    // The provider must reach the same Vault the config names, whatever the caller exported.
    VAULT_ADDR: options.config.vault.address,
    // What pg_stat_activity shows of this run while it holds the site's state lock.
    ...(options.config.state.backend === 'pg' ? { PGAPPNAME: engineApplicationName() } : {}),
    ...encryption,
  };
  if (env.MAAS_VAULT_PROVIDER_MIRROR) {
    const cliConfig = join(options.config.workDir, 'terraformrc');
    writeMirrorCliConfig(env.MAAS_VAULT_PROVIDER_MIRROR, cliConfig);
    engineEnv.TF_CLI_CONFIG_FILE = cliConfig;
  }
  // With the pg backend there is no local state file to check, restore or keep.
  const localState = options.config.state.backend === 'local' ? statePath : undefined;
  const engine = new Engine({ binary, stackDir, env: engineEnv, onOutput: options.onOutput, statePath: localState, onNotice: options.onNotice, lockTimeout: options.lockTimeout });
  return { engine, stackDir, statePath, jsonPath };
}

/** State and its backup hold wrapping tokens: owner-only, whatever umask the engine ran under. */
export function protectState(statePath: string): void {
  keepGoodState(statePath);
}
