/**
 * The engine's state, and its one parser: the local file the stack's backend writes, the pg
 * backend's row and what `state pull` prints are all read here. Format version 4 (every engine
 * since Terraform 0.12 and OpenTofu 1.0) keeps outputs under "outputs" as `terraform output -json`
 * prints them, and resources under "resources"; reading the state spares an engine process.
 *
 * A verified copy of the last good state (`<state>.good`, mode 0600) is kept beside it: written
 * only once a state parses as version 4, and restored when the engine's file is not valid JSON
 * (an engine killed while writing leaves it empty). The engine's own `.backup` is overwritten by
 * every run, so it cannot be trusted for that.
 */
import { chmodSync, copyFileSync, existsSync, readFileSync } from 'node:fs';
import { writePrivateFile } from '../config/private-file.js';
import type { EngineOutputs } from './engine.js';
import type { MaasVaultConfig } from '../config/index.js';
import { jsonErrorPosition } from '../config/json-position.js';
import { stateSchemaName } from '../stacks/state-schema.js';
import { requirePgConnection } from './pg-connection.js';

/** A version 4 state, as far as maas-vault reads it. */
export interface EngineState {
  version: 4;
  serial?: number;
  lineage?: string;
  outputs?: EngineOutputs;
  resources?: StateResource[];
}

/** One resource block of a state: its instances' attributes are the objects the engine last read from Vault. */
export interface StateResource {
  mode: 'managed' | 'data';
  type: string;
  name: string;
  instances: { attributes?: Record<string, unknown> }[];
}

/** A state file that is there but not a state: the engine cannot be trusted to run on it. */
export class BrokenStateError extends Error {
  override name = 'BrokenStateError';
  readonly exitCode = 1;
}

export function goodStatePath(statePath: string): string {
  return `${statePath}.good`;
}

/** The parsed state, undefined when the file is absent; throws BrokenStateError when it is not a v4 state. */
export function readState(statePath: string): EngineState | undefined {
  if (!existsSync(statePath)) return undefined;
  const text = readFileSync(statePath, 'utf8');
  const parsed = parseState(text);
  if (parsed) return parsed;
  // Encrypted: only the engine can read it (`state pull`, `output`); nothing here to trust or doubt.
  if (isEncryptedState(text)) return undefined;
  // Where it breaks, never what: the state holds wrapping tokens.
  const position = jsonErrorPosition(text);
  const why = `not a valid state${position ? ` (not JSON from line ${position.line}, column ${position.column})` : ''}`;
  const good = goodStatePath(statePath);
  if (existsSync(good) && isWholeState(readFileSync(good, 'utf8'))) {
    throw new BrokenStateError(
      `the state file ${statePath} is ${why} (empty or cut off: an interrupted run?); ` +
        `run \`maas-vault plan\` (or apply, destroy): it restores the verified copy ${good} first`,
    );
  }
  throw new BrokenStateError(
    `the state file ${statePath} is ${why} (empty or cut off: an interrupted run?) and there is no verified copy to restore it from; ` +
      `nothing was sent to Vault. Restore it from ${statePath}.backup if that file parses as JSON, or from your own backup`,
  );
}

/** OpenTofu's encrypted state: whole, valid JSON whose content only the engine (with the passphrase) can read. */
function isEncryptedState(text: string): boolean {
  try {
    const parsed = JSON.parse(text) as { encrypted_data?: unknown };
    return Boolean(parsed) && typeof parsed.encrypted_data === 'string';
  } catch {
    return false;
  }
}

/** A state the engine wrote whole: a version 4 state, or an encrypted one. */
function isWholeState(text: string): boolean {
  return parseState(text) !== undefined || isEncryptedState(text);
}

/** The state a text holds (a file, a pg row, `state pull`); undefined when it is not a version 4 state. Never quotes the text. */
export function parseState(text: string): EngineState | undefined {
  try {
    const parsed = JSON.parse(text) as { version?: unknown };
    return parsed && parsed.version === 4 ? (parsed as EngineState) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A text's state fields whatever its version (serial, lineage, resources of a file the engine
 * left, to compare with the backend's); undefined when it is not JSON. Never quotes the text.
 */
export function stateHeader(text: string): Partial<EngineState> | undefined {
  try {
    const parsed = JSON.parse(text) as Partial<EngineState> | null;
    return parsed ?? undefined;
  } catch {
    return undefined;
  }
}

/** Managed resources of a state (data sources left out); none when there is no state. */
export function managedResources(state: EngineState | undefined): StateResource[] {
  return (Array.isArray(state?.resources) ? state.resources : []).filter((resource) => resource.mode === 'managed');
}

/** The outputs, or undefined when the file is absent or holds none. */
export function readStateOutputs(statePath: string): EngineOutputs | undefined {
  return readState(statePath)?.outputs;
}

/** Managed resources in the state (data sources left out). */
export function stateResources(statePath: string): StateResource[] {
  return managedResources(readState(statePath));
}

/** The managed resources of a state given as text (`state pull` from a remote backend); none when it is not a v4 state. */
export function stateTextResources(text: string): StateResource[] {
  return managedResources(parseState(text));
}

/**
 * Before an engine run: a state that is not valid is replaced by the verified copy. Returns what
 * was done, for the user, or undefined when nothing needed doing.
 */
export function restoreBrokenState(statePath: string): string | undefined {
  if (!existsSync(statePath)) return undefined;
  const bytes = readFileSync(statePath);
  if (isVerifiedCopy(statePath, bytes) || isWholeState(bytes.toString('utf8'))) return undefined;
  const good = goodStatePath(statePath);
  if (!existsSync(good) || !isWholeState(readFileSync(good, 'utf8'))) readState(statePath);
  // The broken file is kept for whoever wants to look at it; it may hold wrapping tokens.
  copyFileSync(statePath, `${statePath}.broken`);
  chmodSync(`${statePath}.broken`, 0o600);
  writePrivateFile(statePath, readFileSync(good, 'utf8'));
  return `the state file ${statePath} was not valid (an interrupted run?): restored the last verified state from ${good} (the broken file is kept as ${statePath}.broken)`;
}

/**
 * After an engine run: state and backup become owner-only (they hold wrapping tokens), and a state
 * that parses as version 4 becomes the verified copy. Returns false when the state is not valid.
 */
export function keepGoodState(statePath: string): boolean {
  for (const path of [statePath, `${statePath}.backup`]) if (existsSync(path)) chmodSync(path, 0o600);
  if (!existsSync(statePath)) return true;
  const bytes = readFileSync(statePath);
  // A run that changed nothing (plan, output): the copy already holds these very bytes.
  if (isVerifiedCopy(statePath, bytes)) return true;
  const text = bytes.toString('utf8');
  if (!isWholeState(text)) return false;
  writePrivateFile(goodStatePath(statePath), text);
  return true;
}

/** The state's bytes are those of its verified copy, which was whole when written: no need to parse them again. */
function isVerifiedCopy(statePath: string, bytes: Buffer): boolean {
  const good = goodStatePath(statePath);
  return existsSync(good) && readFileSync(good).equals(bytes);
}

/**
 * `<type> <id>` of every managed resource (e.g. `vault_policy maas-lab`): what the stack already
 * manages, so objects adopted from a hand-made set-up are imported only once.
 */
export function resourceIds(resources: readonly StateResource[]): Set<string> {
  const ids = new Set<string>();
  for (const resource of resources) {
    for (const instance of resource.instances) {
      const id = instance.attributes?.id;
      if (typeof id === 'string') ids.add(`${resource.type} ${id}`);
    }
  }
  return ids;
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
  const text = await readStoredState(config, statePath, env);
  return text === undefined ? undefined : parseState(text)?.outputs;
}

/*
 * What the applied stack manages, read from its state: the roles, policies and secret IDs the
 * next plan compares with Vault (and destroys when the config no longer names them). `status`
 * needs this to tell drift the plan would fix from objects it cannot see. The state is read where
 * it lives: the local file, the pg backend's row, or (encrypted) whatever the engine pulls.
 */

export interface StateSecretId {
  role: string;
  accessor: string;
  /** The secret ID's metadata as the stack wrote it (JSON text). */
  metadata: string;
  wrappingTtl: string;
  wrappingToken?: string;
}

/** The one shape of what a site's state owns, for status (vault/status.ts) and anything else that asks. */
export interface StackInventory {
  roles: string[];
  policies: string[];
  secretIds: StateSecretId[];
  /** Mount paths the stack created (not adopted ones). */
  kvMounts: string[];
  authMounts: string[];
}

const EMPTY: StackInventory = { roles: [], policies: [], secretIds: [], kvMounts: [], authMounts: [] };

/** The inventory from a local state file, empty when nothing was applied yet (or the state is of another format). */
export function readStackInventory(statePath: string): StackInventory {
  // A broken file is a BrokenStateError that says how to restore it, never what it holds.
  return inventoryOfState(readState(statePath));
}

/**
 * Whether the site's state can be read without the engine: a pg row or local file in clear. An
 * encrypted state (OpenTofu's state encryption) is read only by the engine, which holds the passphrase.
 */
export function stateNeedsEngine(config: Pick<MaasVaultConfig, 'state'>): boolean {
  return config.state.encryption !== undefined;
}

/** The inventory from the site's state in clear: the pg backend's row, else the local file. */
export async function readBackendInventory(
  config: Pick<MaasVaultConfig, 'site' | 'state'>,
  statePath: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<StackInventory> {
  if (config.state.backend !== 'pg') return readStackInventory(statePath);
  const text = await readStoredState(config, statePath, env);
  return text === undefined ? EMPTY : stackInventoryOf(text);
}

/** The inventory of a state given as text (a file, a pg row, `state pull`); empty when it is not a state. */
export function stackInventoryOf(text: string): StackInventory {
  // Never the text itself: the state holds wrapping tokens.
  return inventoryOfState(parseState(text));
}

function inventoryOfState(state: EngineState | undefined): StackInventory {
  const resources = managedResources(state);
  const attributes = (type: string) =>
    resources.filter((resource) => resource.type === type).flatMap((resource) => resource.instances.map((instance) => instance.attributes ?? {}));
  const text_ = (value: unknown) => (typeof value === 'string' ? value : '');
  return {
    roles: attributes('vault_approle_auth_backend_role').map((item) => text_(item.role_name)),
    policies: attributes('vault_policy').map((item) => text_(item.name)),
    secretIds: attributes('vault_approle_auth_backend_role_secret_id').map((item) => ({
      role: text_(item.role_name),
      accessor: text_(item.accessor),
      metadata: text_(item.metadata),
      wrappingTtl: text_(item.wrapping_ttl),
      wrappingToken: text_(item.wrapping_token) || undefined,
    })),
    kvMounts: attributes('vault_mount').map((item) => text_(item.path)),
    authMounts: attributes('vault_auth_backend').map((item) => text_(item.path)),
  };
}

/** What a site's stored state is, read as the backend holds it (never decrypted here). */
export type StoredStateKind = 'none' | 'clear' | 'encrypted' | 'broken';

export function storedStateKind(text: string | undefined): StoredStateKind {
  if (text === undefined) return 'none';
  if (isEncryptedState(text)) return 'encrypted';
  return parseState(text) ? 'clear' : 'broken';
}

/** The state text as the backend stores it: the local file, or the pg backend's row; undefined before the first apply. */
export async function readStoredState(
  config: Pick<MaasVaultConfig, 'site' | 'state'>,
  statePath: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | undefined> {
  if (config.state.backend !== 'pg') return existsSync(statePath) ? readFileSync(statePath, 'utf8') : undefined;
  requirePgConnection(env);
  const { readPgStateText } = await import('./pg-state.js');
  return readPgStateText(stateSchemaName(config), env);
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
