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
} as const;

/** The objects the stack imports instead of creating; each one only until the state holds it. */
export interface StackImports {
  /** Controllers whose (adopted) role is imported. */
  roles: ReadonlySet<string>;
  policy: boolean;
}

export const NO_IMPORTS: StackImports = { roles: new Set(), policy: false };

export function stateKey(type: string, id: string): string {
  return `${type} ${id}`;
}
