/**
 * Every setting of an AppRole role the site manages, in Vault's own field names, with the value
 * each kind of role gets and why. The stack writes these (stacks/controllers, stacks/issuer),
 * status and adoption compare Vault with them, and the admin policy's allowed parameters are
 * checked against them (test/site/role-settings.test.ts): a new setting is one row here.
 *
 * MAAS (from its source) unwraps its secret ID once, stores it, and logs in at auth/approle/login
 * with it again whenever its token nears expiry, for as long as the region runs; it calls
 * auth/token/lookup-self and renews its token. Those facts fix most of the values below.
 */

/** A role as Vault reads it back, for the fields the site manages. */
export interface RoleFields {
  token_policies: string[];
  token_ttl: number;
  token_max_ttl: number;
  token_explicit_max_ttl: number;
  token_period: number;
  token_type: string;
  token_num_uses: number;
  token_no_default_policy: boolean;
  token_bound_cidrs: string[];
  bind_secret_id: boolean;
  secret_id_num_uses: number;
  secret_id_ttl: number;
  secret_id_bound_cidrs: string[];
  alias_metadata: Record<string, string>;
}

export type RoleField = keyof RoleFields;

/** What a role's settings are made from: its kind, its policy, and the config's numbers (seconds). */
export interface RoleInput {
  kind: 'controller' | 'issuer';
  policy: string;
  tokenTtl: number;
  /** Unset: Vault's default (0), and the stack does not write it. */
  tokenMaxTtl?: number;
  secretIdTtl?: number;
  cidrs?: readonly string[];
}

export interface RoleSetting<F extends RoleField = RoleField> {
  /** The value the role should hold. */
  value: (role: RoleInput) => RoleFields[F];
  /**
   * Whether the stack writes the field. One it does not write, the provider plans back to the
   * value above anyway (its zero value), so Vault holds the same; only the synthesized JSON differs.
   */
  written: (role: RoleInput) => boolean;
  /** What a Vault answer without the field means (older servers leave some out). */
  absent: RoleFields[F];
  /** Why the value is what it is. */
  why: string;
  /** Said beside a drift of this field in `status` (the MAAS reason, where it is one). */
  atDrift?: string;
  /**
   * What the admin policy lets the admin token write (policies/admin-role-parameters.hcl): exactly
   * these values, any value ('any'), or the site's own policies ('site-policies', pinned per block);
   * absent: the admin token may not write the field at all.
   */
  admin?: readonly (string | boolean)[] | 'any' | 'site-policies';
}

const always = () => true;
const never = () => false;
const forControllers = (role: RoleInput) => role.kind === 'controller';
const whenCidrs = (role: RoleInput) => role.cidrs !== undefined;

/** The settings, in the order status reports them. */
export const ROLE_SETTINGS: { readonly [F in RoleField]: RoleSetting<F> } = {
  token_policies: {
    value: (role) => [role.policy],
    written: always,
    absent: [],
    why: "the MAAS policy (the issuer's for the issuer) and nothing else: it grants MAAS's KV paths, and the admin token may attach no other",
    admin: 'site-policies',
  },
  token_ttl: {
    value: (role) => role.tokenTtl,
    written: always,
    absent: 0,
    why: 'tokenTtl (issuer.tokenTtl): MAAS logs in again with its stored secret_id as the token nears it',
    admin: 'any',
  },
  token_max_ttl: {
    value: (role) => (role.kind === 'issuer' ? role.tokenTtl : (role.tokenMaxTtl ?? 0)),
    written: (role) => role.kind === 'issuer' || role.tokenMaxTtl !== undefined,
    absent: 0,
    why: "tokenMaxTtl, else Vault's default; the issuer's token lives no longer than its TTL",
    admin: 'any',
  },
  token_explicit_max_ttl: {
    value: () => 0,
    written: never,
    absent: 0,
    why: 'none: MAAS renews its token, and could not past a hard limit',
    admin: 'any',
  },
  token_period: {
    value: () => 0,
    written: never,
    absent: 0,
    why: 'none: periodic tokens never expire, and MAAS does not need them since it logs in again',
  },
  token_type: {
    value: () => 'default',
    written: never,
    absent: 'default',
    why: 'service tokens (the default): MAAS renews its token and calls lookup-self, which batch tokens cannot',
    atDrift: 'MAAS renews its token, which a batch token cannot do',
    admin: ['default', 'service'],
  },
  token_num_uses: {
    value: () => 0,
    written: forControllers,
    absent: 0,
    why: 'unlimited: each MAAS token serves every request until it expires',
    atDrift: 'MAAS tokens must not run out of uses',
    admin: 'any',
  },
  token_no_default_policy: {
    value: () => false,
    written: forControllers,
    absent: false,
    why: "Vault's default policy stays attached: MAAS calls auth/token/lookup-self, which it grants",
    atDrift: 'MAAS needs auth/token/lookup-self from the default policy',
    admin: [false],
  },
  token_bound_cidrs: {
    value: (role) => [...(role.cidrs ?? [])],
    written: whenCidrs,
    absent: [],
    why: 'controllers[].cidrs (issuer.cidrs): where the token may be used from',
    admin: 'any',
  },
  bind_secret_id: {
    value: () => true,
    written: always,
    absent: true,
    why: 'a login needs the secret ID, not the role ID alone',
    atDrift: 'without it, the role ID alone logs in',
    admin: [true],
  },
  secret_id_num_uses: {
    value: () => 0,
    written: forControllers,
    absent: 0,
    why: 'unlimited: MAAS stores the secret_id and logs in with it again for as long as the region runs',
    atDrift: 'MAAS logs in with the same secret_id again and again',
    admin: 'any',
  },
  secret_id_ttl: {
    value: (role) => (role.kind === 'issuer' ? 0 : (role.secretIdTtl ?? 0)),
    written: forControllers,
    absent: 0,
    why: 'secretIdTtl, else never: MAAS would be locked out once its stored secret ID expires',
    admin: 'any',
  },
  secret_id_bound_cidrs: {
    value: (role) => [...(role.cidrs ?? [])],
    written: whenCidrs,
    absent: [],
    why: 'controllers[].cidrs (issuer.cidrs): where the secret ID may log in from',
    admin: 'any',
  },
  alias_metadata: {
    value: () => ({}),
    written: never,
    absent: {},
    why: 'none: the provider plans it back to empty',
  },
};

export const ROLE_FIELDS = Object.keys(ROLE_SETTINGS) as RoleField[];

/** Every managed field of a role, as Vault should hold it. */
export function roleSettings(role: RoleInput): RoleFields {
  return Object.fromEntries(ROLE_FIELDS.map((field) => [field, ROLE_SETTINGS[field].value(role)])) as unknown as RoleFields;
}

/** The fields the stack writes for a role, with their values. */
export function writtenRoleSettings(role: RoleInput): Partial<RoleFields> {
  return Object.fromEntries(ROLE_FIELDS.filter((field) => ROLE_SETTINGS[field].written(role)).map((field) => [field, ROLE_SETTINGS[field].value(role)]));
}

/**
 * Parameters of the secret-ID and accessor calls under a role's path (auth/approle/role/NAME/*),
 * which share the role paths' allowed_parameters: secret-ID metadata and CIDRs, and accessors.
 */
export const SECRET_ID_CALL_PARAMETERS = ['metadata', 'cidr_list', 'secret_id_accessor'] as const;
