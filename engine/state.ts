/**
 * Outputs read straight from the local state file the stack's backend writes. Format version 4
 * (every engine since Terraform 0.12 and OpenTofu 1.0) keeps them under "outputs" as
 * `terraform output -json` prints them; reading the file spares an engine process per command.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { EngineOutputs } from './engine.js';
import { jsonErrorPosition } from '../config/json-position.js';

/** A state file that is not JSON; the message names where, never what (the state holds wrapping tokens). */
export class StateFileError extends Error {
  override name = 'StateFileError';
  readonly exitCode = 1;
  constructor(readonly path: string, where: string) {
    super(
      `${path} is not valid JSON (${where}; its text is not repeated here: it holds wrapping tokens): ` +
        `restore it from ${path}.backup, or move it aside and import or re-create what it tracked`,
    );
  }
}

/** JSON.parse whose error carries a position only: V8's message quotes the text it could not parse. */
export function parseQuietly<T>(text: string, onError: (where: string) => Error): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    const position = jsonErrorPosition(text);
    throw onError(position ? `syntax error at line ${position.line}, column ${position.column}` : 'syntax error');
  }
}

/** The outputs, or undefined when the file is absent or of another format (then ask the engine). */
export function readStateOutputs(statePath: string): EngineOutputs | undefined {
  if (!existsSync(statePath)) return undefined;
  const state = parseQuietly<{ version?: number; outputs?: EngineOutputs }>(readFileSync(statePath, 'utf8'), (where) => new StateFileError(statePath, where));
  return state.version === 4 && state.outputs ? state.outputs : undefined;
}
