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

/**
 * `<type> <id>` of every managed resource in the state (e.g. `vault_policy maas-lab`): what the
 * stack already manages, so objects adopted from a hand-made set-up are imported only once.
 */
export function readStateResourceIds(statePath: string): Set<string> {
  const ids = new Set<string>();
  if (!existsSync(statePath)) return ids;
  const state = JSON.parse(readFileSync(statePath, 'utf8')) as {
    resources?: Array<{ mode?: string; type?: string; instances?: Array<{ attributes?: { id?: unknown } }> }>;
  };
  for (const resource of state.resources ?? []) {
    if (resource.mode !== 'managed') continue;
    for (const instance of resource.instances ?? []) {
      if (typeof instance.attributes?.id === 'string') ids.add(`${resource.type} ${instance.attributes.id}`);
    }
  }
  return ids;
}
