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
import { engineCandidate, locateEngine, type EngineBinary } from './locate.js';
import { EarlyInit, needsFirstInit } from './early-init.js';
import { localEngineSettings } from '../stacks/engine-settings.js';
import { workLayout } from '../stacks/work-layout.js';
import { requireTrustedWorkDir } from '../stacks/work-trust.js';
import { engineApplicationName, requirePgConnection } from './pg-connection.js';
import { encryptionEnv } from './state-encryption-env.js';

export interface StackRunnerOptions {
  config: MaasVaultConfig;
  /** --engine: tofu, terraform or a path; or the engine located (or being located) by the caller. */
  engine?: string | EngineBinary | Promise<EngineBinary>;
  /** Vault token for the provider (from VAULT_TOKEN). */
  token?: string;
  onOutput?: (line: string) => void;
  /** plan and apply in the engine's colour (a terminal without NO_COLOR): see Engine's `colour`. */
  colour?: boolean;
  /** What maas-vault did to the state file (a broken one restored), for the user. */
  onNotice?: (text: string) => void;
  env?: NodeJS.ProcessEnv;
  /** Objects of a hand-made set-up to import (see vault/adoption.ts). */
  imports?: StackImports;
  /** Controllers whose secret ID rotation manages (vault/rotation-record.ts): the stack issues them none. */
  rotated: ReadonlySet<string>;
  /** How long plan, apply and destroy wait for the state lock (e.g. `5s`). */
  lockTimeout?: string;
  /** With `engine` a locator's promise: the command it is expected to settle on (engine/locate.ts engineCandidate). */
  engineCommand?: string;
}

export async function prepareStack(options: StackRunnerOptions): Promise<{ engine: Engine; stackDir: string; statePath: string; jsonPath: string }> {
  const env = options.env ?? process.env;
  const { config } = options;
  if (config.state.backend === 'pg') requirePgConnection(env);
  // Again here, for callers without a command context (dev) and for what changed since it was opened.
  requireTrustedWorkDir(config, env);
  // The engine's version probe is a child process: let it run while synth keeps this one busy.
  const located =
    typeof options.engine === 'object'
      ? Promise.resolve(options.engine)
      : locateEngine(options.engine ?? env.MAAS_VAULT_ENGINE, options.engine ? '--engine' : 'MAAS_VAULT_ENGINE');
  located.catch(() => undefined);
  const mirrorEnv: Record<string, string> = {};
  if (env.MAAS_VAULT_PROVIDER_MIRROR) {
    const cliConfig = join(config.workDir, 'terraformrc');
    writeMirrorCliConfig(env.MAAS_VAULT_PROVIDER_MIRROR, cliConfig);
    mirrorEnv.TF_CLI_CONFIG_FILE = cliConfig;
  }
  const early = startEarlyInit(options, mirrorEnv);
  let binary: EngineBinary;
  let layout: { stackDir: string; statePath: string; jsonPath: string };
  try {
    layout = await synthOnce(config, undefined, options.imports, options.rotated);
    binary = await located;
  } catch (error) {
    await early?.abandon();
    throw error;
  }
  // Refused here, before the engine first runs: Terraform would write the state in clear.
  const encryption = encryptionEnv(config, binary, env);
  const engineEnv: Record<string, string | undefined> = {
    VAULT_TOKEN: options.token,
    // The provider must reach the same Vault the config names, whatever the caller exported.
    VAULT_ADDR: config.vault.address,
    // What pg_stat_activity shows of this run while it holds the site's state lock.
    ...(config.state.backend === 'pg' ? { PGAPPNAME: engineApplicationName() } : {}),
    ...encryption,
    ...mirrorEnv,
  };
  const { stackDir, statePath, jsonPath } = layout;
  // Taken over by the engine's first init, inside the caller's step that explains its failure; a
  // command that stops before that never shows it (its directory goes when the process ends).
  const earlyInit = early ? () => early.finish(binary, jsonPath) : undefined;
  // With the pg backend there is no local state file to check, restore or keep.
  const localState = config.state.backend === 'local' ? statePath : undefined;
  const engine = new Engine({
    binary,
    stackDir,
    env: engineEnv,
    onOutput: options.onOutput,
    colour: options.colour,
    statePath: localState,
    onNotice: options.onNotice,
    lockTimeout: options.lockTimeout,
    earlyInit,
  });
  return { engine, stackDir, statePath, jsonPath };
}

/** A first init, started before synth where the stack's `terraform` block is known without it (engine/early-init.ts). */
function startEarlyInit(options: StackRunnerOptions, env: Record<string, string>): EarlyInit | undefined {
  const { config } = options;
  if (config.state.backend !== 'local' || config.state.encryption !== undefined) return undefined;
  const command =
    typeof options.engine === 'object' && !(options.engine instanceof Promise)
      ? options.engine.path
      : (options.engineCommand ?? (typeof options.engine === 'string' ? engineCandidate(options.engine) : undefined));
  const { stackDir } = workLayout(config);
  if (command === undefined || !needsFirstInit(stackDir)) return undefined;
  return EarlyInit.start({
    command,
    workDir: config.workDir,
    stackDir,
    settings: localEngineSettings(),
    env,
    onOutput: options.onOutput,
    lockTimeout: options.lockTimeout,
  });
}
