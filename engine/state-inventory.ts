/**
 * What the applied stack manages, read from its state: the roles, policies and secret IDs the
 * next plan compares with Vault (and destroys when the config no longer names them). `status`
 * needs this to tell drift the plan would fix from objects it cannot see. The state is read where
 * it lives: the local file, the pg backend's row, or (encrypted) whatever the engine pulls.
 */
import type { MaasVaultConfig } from '../config/index.js';
import { stateSchemaName } from '../stacks/state-schema.js';
import { requirePgConnection } from './pg-connection.js';
import { readState } from './state.js';

export interface StateSecretId {
  role: string;
  accessor: string;
  /** The secret ID's metadata as the stack wrote it (JSON text). */
  metadata: string;
  wrappingTtl: string;
  wrappingToken?: string;
}

export interface StackInventory {
  roles: string[];
  policies: string[];
  secretIds: StateSecretId[];
  /** Mount paths the stack created (not adopted ones). */
  kvMounts: string[];
  authMounts: string[];
}

interface StateResource {
  mode: string;
  type: string;
  instances: { attributes: Record<string, unknown> }[];
}

const EMPTY: StackInventory = { roles: [], policies: [], secretIds: [], kvMounts: [], authMounts: [] };

/** The inventory from a local state file, empty when nothing was applied yet (or the state is of another format). */
export function readStackInventory(statePath: string): StackInventory {
  // A broken file is a BrokenStateError that says how to restore it, never what it holds.
  const state = readState(statePath);
  return state ? inventoryOfState(state as ParsedState) : EMPTY;
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
  requirePgConnection(env);
  // Only a pg site loads the PostgreSQL client.
  const { readPgStateText } = await import('./pg-state.js');
  const text = await readPgStateText(stateSchemaName(config), env);
  return text === undefined ? EMPTY : stackInventoryOf(text);
}

/** The inventory of a state given as text (a file, a pg row, `state pull`). */
export function stackInventoryOf(text: string): StackInventory {
  let state: ParsedState;
  try {
    state = JSON.parse(text) as ParsedState;
  } catch {
    // Never the text itself: the state holds wrapping tokens.
    return EMPTY;
  }
  return inventoryOfState(state);
}

type ParsedState = { version?: number; resources?: StateResource[] };

function inventoryOfState(state: ParsedState): StackInventory {
  if (state.version !== 4 || !Array.isArray(state.resources)) return EMPTY;
  const attributes = (type: string) =>
    state.resources!.filter((resource) => resource.mode === 'managed' && resource.type === type).flatMap((resource) => resource.instances.map((instance) => instance.attributes));
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
