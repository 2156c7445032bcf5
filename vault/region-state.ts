/**
 * What Vault can tell about the MAAS side of the hand-off, without any MAAS token:
 * - whether a controller's role has ever logged in. Vault (and OpenBao) create an identity entity
 *   on an AppRole role's first login, with an alias named by the role ID on the approle mount,
 *   and keep it after every token and secret ID is gone. A secret ID's own lookup cannot tell:
 *   with secret_id_num_uses 0 a login updates nothing on it.
 * - whether MAAS has migrated: `maas config-vault migrate` copies every `Secret` row to Vault
 *   under SECRETS_PATH, the cluster-wide ones as `global/<name>` (maasserver/secrets.py,
 *   `_get_secret_path`; config_vault.py, `_migrate_secrets`), and only then sets vault_enabled.
 * `undefined` everywhere means Vault could not be asked (the token may not): the caller says so
 * and prints the commands for either state.
 */
import type { VaultClient } from './client.js';
import { isPermissionDenied } from './errors.js';
import { APPROLE_MOUNT } from './approle.js';
import { readMounts } from './mounts.js';

export interface RegionStates {
  /** Per role ID given, in order. */
  loggedIn: (boolean | undefined)[];
  migrated: boolean | undefined;
}

/** Never fails the command it serves: what cannot be learnt is undefined. */
export async function regionStates(client: VaultClient, roleIds: readonly (string | undefined)[], mount: string, secretsPath: string): Promise<RegionStates> {
  const [loggedIn, migrated] = await Promise.all([
    rolesLoggedIn(client, roleIds).catch(() => roleIds.map(() => undefined)),
    maasHasMigrated(client, mount, secretsPath).catch(() => undefined),
  ]);
  return { loggedIn, migrated };
}

export async function rolesLoggedIn(client: VaultClient, roleIds: readonly (string | undefined)[]): Promise<(boolean | undefined)[]> {
  const accessor = await unlessRefused(() => approleAccessor(client));
  if (accessor === undefined) return roleIds.map(() => undefined);
  return Promise.all(roleIds.map((roleId) => (roleId ? unlessRefused(() => roleHasLoggedIn(client, accessor, roleId)) : Promise.resolve(undefined))));
}

async function approleAccessor(client: VaultClient): Promise<string | undefined> {
  return (await readMounts(client, 'auth')).get(APPROLE_MOUNT)?.accessor;
}

async function roleHasLoggedIn(client: VaultClient, mountAccessor: string, roleId: string): Promise<boolean> {
  // Vault answers 204 (no body) when no entity has that alias.
  const found = await client.write<{ id?: string }>('identity/lookup/entity', { alias_name: roleId, alias_mount_accessor: mountAccessor });
  return typeof found.data?.id === 'string';
}

export async function maasHasMigrated(client: VaultClient, mount: string, secretsPath: string): Promise<boolean | undefined> {
  return unlessRefused(async () => {
    const listed = await client.list(`${mount}/metadata/${secretsPath}/global`, { accept: [404] });
    return listed.status !== 404 && (listed.data?.keys?.length ?? 0) > 0;
  });
}

async function unlessRefused<T>(ask: () => Promise<T>): Promise<T | undefined> {
  try {
    return await ask();
  } catch (error) {
    if (isPermissionDenied(error)) return undefined;
    throw error;
  }
}
