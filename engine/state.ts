/**
 * Outputs read straight from the local state file the stack's backend writes. Format version 4
 * (every engine since Terraform 0.12 and OpenTofu 1.0) keeps them under "outputs" as
 * `terraform output -json` prints them; reading the file spares an engine process per command.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { EngineOutputs } from './engine.js';
import type { MaasVaultConfig } from '../config/index.js';
import { stateSchemaName } from '../stacks/state-backend.js';
import { readPgStateOutputs, requirePgConnection } from './pg-state.js';

/** The outputs, or undefined when the file is absent or of another format (then ask the engine). */
export function readStateOutputs(statePath: string): EngineOutputs | undefined {
  if (!existsSync(statePath)) return undefined;
  const state = JSON.parse(readFileSync(statePath, 'utf8')) as { version?: number; outputs?: EngineOutputs };
  return state.version === 4 && state.outputs ? state.outputs : undefined;
}

/**
 * The outputs from wherever the site's state lives: the local file, or the pg backend's row
 * (`status` and `output` then need no engine and no local copy).
 */
export async function readBackendOutputs(
  config: Pick<MaasVaultConfig, 'site' | 'state'>,
  statePath: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<EngineOutputs | undefined> {
  if (config.state.backend !== 'pg') return readStateOutputs(statePath);
  requirePgConnection(env);
  return readPgStateOutputs(stateSchemaName(config), env);
}
