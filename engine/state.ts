/**
 * Outputs read straight from the local state file the stack's backend writes. Format version 4
 * (every engine since Terraform 0.12 and OpenTofu 1.0) keeps them under "outputs" as
 * `terraform output -json` prints them; reading the file spares an engine process per command.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { EngineOutputs } from './engine.js';

/** The outputs, or undefined when the file is absent or of another format (then ask the engine). */
export function readStateOutputs(statePath: string): EngineOutputs | undefined {
  if (!existsSync(statePath)) return undefined;
  const state = JSON.parse(readFileSync(statePath, 'utf8')) as { version?: number; outputs?: EngineOutputs };
  return state.version === 4 && state.outputs ? state.outputs : undefined;
}
