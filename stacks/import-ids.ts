/**
 * How the provider (terraform-provider-vault 5.6.0) names, for `import`, each object a site may
 * adopt from a hand-made set-up, and how the same object appears in the state (`<type> <id>`).
 * Kept apart from the constructs so Vault checks and state reads need not load cdktf.
 */
export const ADOPTABLE = {
  /** vault_approle_auth_backend_role: the role's API path. */
  role: { type: 'vault_approle_auth_backend_role', id: (mount: string, role: string) => `auth/${mount}/role/${role}` },
  /** vault_policy: the policy's name. */
  policy: { type: 'vault_policy', id: (name: string) => name },
  /** vault_kv_secret_backend_v2: the mount's config path. */
  kvSettings: { type: 'vault_kv_secret_backend_v2', id: (mount: string) => `${mount}/config` },
} as const;

/** The objects the stack imports instead of creating; each one only until the state holds it. */
export interface StackImports {
  /** Controllers whose (adopted) role is imported. */
  roles: ReadonlySet<string>;
  policy: boolean;
  kvSettings: boolean;
}

export const NO_IMPORTS: StackImports = { roles: new Set(), policy: false, kvSettings: false };

/**
 * The provider reads a KV mount back from its import ID with `strings.TrimRight(id, "/config")`,
 * which strips any trailing 'c', 'o', 'n', 'f', 'i', 'g' or '/' from the mount name too: a mount
 * such as `maas-config` would come back as `maas-` and be replaced. Such mounts are not imported;
 * their settings are written as for a new mount (the mount and its data are untouched either way).
 */
export function kvSettingsImportable(mount: string): boolean {
  return `${mount}/config`.replace(/[/config]+$/, '') === mount;
}

export function stateKey(type: string, id: string): string {
  return `${type} ${id}`;
}
