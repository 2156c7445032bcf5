/**
 * What the applied stack manages, read from its local state file: the roles, policies and
 * secret IDs the next plan compares with Vault (and destroys when the config no longer names
 * them). `status` needs this to tell drift the plan would fix from objects it cannot see.
 */
import { existsSync, readFileSync } from 'node:fs';

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

/** The inventory, empty when nothing was applied yet (or the state is of another format). */
export function readStackInventory(statePath: string): StackInventory {
  if (!existsSync(statePath)) return EMPTY;
  const state = JSON.parse(readFileSync(statePath, 'utf8')) as { version?: number; resources?: StateResource[] };
  if (state.version !== 4 || !Array.isArray(state.resources)) return EMPTY;
  const attributes = (type: string) =>
    state.resources!.filter((resource) => resource.mode === 'managed' && resource.type === type).flatMap((resource) => resource.instances.map((instance) => instance.attributes));
  const text = (value: unknown) => (typeof value === 'string' ? value : '');
  return {
    roles: attributes('vault_approle_auth_backend_role').map((item) => text(item.role_name)),
    policies: attributes('vault_policy').map((item) => text(item.name)),
    secretIds: attributes('vault_approle_auth_backend_role_secret_id').map((item) => ({
      role: text(item.role_name),
      accessor: text(item.accessor),
      metadata: text(item.metadata),
      wrappingTtl: text(item.wrapping_ttl),
      wrappingToken: text(item.wrapping_token) || undefined,
    })),
    kvMounts: attributes('vault_mount').map((item) => text(item.path)),
    authMounts: attributes('vault_auth_backend').map((item) => text(item.path)),
  };
}
