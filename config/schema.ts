/**
 * The shape of `maas-vault.json` / `maas-vault.yaml`, with defaults taken from the MAAS docs.
 * Every rule's message is written for the person fixing the file: it says what is allowed.
 * Written with zod's functional `zod/mini` API: the same zod 4 core, but it bundles only the parts
 * used, where the chained API loads all of zod on every command's start-up.
 */
import * as z from 'zod/mini';
import {
  cidrProblem,
  controllerNameProblem,
  durationProblem,
  printable,
  policyNameProblem,
  roleNameProblem,
  siteNameProblem,
  TTL_LIMITS,
  vaultPathProblem,
} from './rules.js';
import { parseDuration } from './duration.js';
import { NO_NAMESPACE_IN_MAAS } from './environment.js';
import { secretIdTtlFloorProblem } from './secret-id-ttl.js';
import { foreignNameProblem, issuerRoleName, legacyNames, roleName, sitePolicyNameProblem } from './naming.js';

/** Turns one of the `*Problem` rules into a zod refinement that reports its reason. */
function ruled(problem: (value: string) => string | undefined) {
  return z.string().check(
    z.superRefine((value, ctx) => {
      const reason = problem(value);
      if (reason) ctx.addIssue({ code: 'custom', message: reason });
    }),
  );
}

const roleTtl = ruled((value) => durationProblem(value, TTL_LIMITS.role));
const wrapTtl = ruled((value) => durationProblem(value, TTL_LIMITS.wrap));
const cidrList = z.array(ruled(cidrProblem)).check(z.minLength(1, 'must list at least one CIDR block, or leave the key out'));

const vaultAddress = ruled((value) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `"${printable(value)}" is not a URL: write it as https://vault.example.com:8200`;
  }
  // The URL parser drops spaces around it and tabs or newlines inside it; the engine and MAAS may not.
  if (/\s/.test(value)) return `"${printable(value)}" contains whitespace: write the URL alone, e.g. https://vault.example.com:8200`;
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must start with https:// or http://';
  if (url.username || url.password) return 'must not carry credentials: the token comes from VAULT_TOKEN';
  // An empty query or fragment ('…:8200?', '…:8200#') parses as none, yet every API path appended to it would land inside it.
  if (url.pathname !== '/' || url.search || url.hash || /[?#]/.test(value)) {
    return `must be only scheme, host and port (write "${url.origin}")`;
  }
  return undefined;
});

/** Where the engine keeps its state. The pg connection itself is never in the file (see stacks/state-backend.ts). */
export const stateSchema = z
  .strictObject({
    backend: z._default(
      z.enum(['local', 'pg'], { message: "must be 'local' (a file in workDir) or 'pg' (PostgreSQL, shared by every admin and CI)" }),
      'local',
    ),
    schema: z.optional(
      z.string().check(z.regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a PostgreSQL schema name: 1-63 lowercase letters, digits or _, not starting with a digit')),
    ),
    /** Named only to refuse it with a message saying where the connection string goes instead. */
    connStr: z.optional(z.unknown()),
    /** OpenTofu's state and plan encryption; the passphrase comes from the named environment variable. */
    encryption: z.optional(
      z.strictObject({
        passphraseEnv: z
          .string()
          .check(z.regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'must be the name of an environment variable (letters, digits, _), not the passphrase')),
      }),
    ),
  })
  .check(
    z.superRefine((state, ctx) => {
      if (state.connStr !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['connStr'],
          message: "must not be in the config (it holds the database password): export PG_CONN_STR, or libpq's PGHOST, PGUSER, PGPASSWORD... instead",
        });
      }
      if (state.schema !== undefined && state.backend !== 'pg') {
        ctx.addIssue({ code: 'custom', path: ['schema'], message: "applies only to backend 'pg': remove it, or set backend to 'pg'" });
      }
    }),
  );

export const controllerSchema = z.strictObject({
  name: ruled(controllerNameProblem),
  /** An AppRole role that already exists (set up by hand): adopted under this name, role ID kept. */
  role: z.optional(ruled(roleNameProblem)),
  cidrs: z.optional(cidrList),
  /** Set after `maas-vault revoke`: the role stays, but nothing issues it a secret ID until this is removed. */
  revoked: z._default(z.boolean(), false),
});

export const configSchema = z
  .strictObject({
    site: ruled(siteNameProblem),
    vault: z.strictObject({
      address: vaultAddress,
      /** The URL region controllers reach Vault at, when it differs from the admin's. */
      maasAddress: z.optional(vaultAddress),
      caCert: z.optional(z.string().check(z.minLength(1, 'must name a PEM file'))),
      /** Named only to refuse it with the reason: MAAS cannot log in inside a namespace. */
      namespace: z.optional(
        z.unknown().check(
          z.superRefine((_, ctx) => {
            ctx.addIssue({
              code: 'custom',
              message: `${NO_NAMESPACE_IN_MAAS}: remove vault.namespace (maas-vault works in the root namespace, where MAAS logs in)`,
            });
          }),
        ),
      ),
    }),
    approle: z.prefault(
      z.strictObject({
        mount: z._default(
          z.string().check(z.refine((value) => value === 'approle', "must be 'approle': MAAS logs in at auth/approle/login and cannot use another mount")),
          'approle',
        ),
        adopt: z._default(z.boolean(), false),
      }),
      {},
    ),
    kv: z.prefault(
      z.strictObject({
        mount: z._default(
          ruled((value) => vaultPathProblem(value, 'mount')),
          'secret',
        ),
        adopt: z._default(z.boolean(), false),
        maxVersions: z.optional(z.int().check(z.minimum(0, 'must be 0 (keep Vault default) or more'), z.maximum(1000, 'must be at most 1000'))),
      }),
      {},
    ),
    secretsPath: z._default(
      ruled((value) => vaultPathProblem(value, 'path')),
      'maas',
    ),
    policy: z.prefault(
      z.strictObject({
        name: z.optional(ruled(policyNameProblem)),
        /** The policy already exists (set up by hand): imported, then its text managed. */
        adopt: z._default(z.boolean(), false),
        profile: z._default(z.enum(['documented', 'strict'], { message: "must be 'documented' or 'strict'" }), 'documented'),
        /** Grants auth/token/lookup-self in the MAAS policy, for roles that drop Vault's default policy. */
        lookupSelf: z._default(z.boolean(), false),
      }),
      {},
    ),
    tokenTtl: z._default(roleTtl, '5m'),
    tokenMaxTtl: z.optional(roleTtl),
    secretIdTtl: z.optional(roleTtl),
    wrapTtl: z._default(wrapTtl, '5m'),
    /**
     * False where CI issues every secret ID with `maas-vault credentials`: the stack then issues
     * none. Defaults to true, and to false on a site that adopts roles (their regions keep theirs).
     */
    stackSecretIds: z.optional(z.boolean()),
    generation: z._default(z.int('must be a whole number').check(z.minimum(1, 'must be 1 or more'), z.maximum(1_000_000, 'must be at most 1000000')), 1),
    controllers: z.array(controllerSchema).check(z.minLength(1, 'must list at least one region controller')),
    issuer: z.prefault(
      z.strictObject({
        enabled: z._default(z.boolean(), false),
        tokenTtl: z._default(roleTtl, '15m'),
        cidrs: z.optional(cidrList),
      }),
      {},
    ),
    workDir: z.optional(z.string().check(z.minLength(1, 'must name a directory'))),
    /** During the migration to the '_' names: keep the old roles and policy until every region uses its new role. */
    keepLegacyNames: z._default(
      z.union([z.boolean(), z.strictObject({ policy: ruled(policyNameProblem) })], {
        message: 'must be true, false, or { "policy": "<the policy.name 0.1.0 used>" }',
      }),
      false,
    ),
    state: z.prefault(stateSchema, {}),
  })
  .check(
    z.superRefine((config, ctx) => {
      const ttl = parseDuration(config.tokenTtl);
      const maxTtl = config.tokenMaxTtl === undefined ? undefined : parseDuration(config.tokenMaxTtl);
      if (ttl !== undefined && maxTtl !== undefined && maxTtl < ttl) {
        ctx.addIssue({
          code: 'custom',
          path: ['tokenMaxTtl'],
          message: `"${config.tokenMaxTtl}" is shorter than tokenTtl "${config.tokenTtl}": make it at least as long`,
        });
      }
      const secretIdTtlProblem = secretIdTtlFloorProblem(config.secretIdTtl, config.wrapTtl);
      if (secretIdTtlProblem) ctx.addIssue({ code: 'custom', path: ['secretIdTtl'], message: secretIdTtlProblem });
      if (config.policy.name !== undefined && policyNameProblem(config.policy.name) === undefined) {
        // An adopted policy keeps the name it was made with by hand: only another site's names are refused.
        const reason = config.policy.adopt
          ? (foreignNameProblem(config, 'policy', config.policy.name) ??
            legacyClash(config, config.policy.name, [legacyNames.policy(config), legacyNames.issuerPolicy(config)]))
          : sitePolicyNameProblem(config, config.policy.name);
        if (reason) ctx.addIssue({ code: 'custom', path: ['policy', 'name'], message: reason });
      }
      const seen = new Map<string, number>();
      config.controllers.forEach((controller, index) => {
        const first = seen.get(controller.name);
        if (first !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['controllers', index, 'name'],
            message: `"${controller.name}" is already the name of controllers[${first}]: each region controller needs its own name`,
          });
        } else seen.set(controller.name, index);
      });
      // Two controllers on one role would share its secret IDs; the issuer's role is the CI's.
      // AppRole role names are case-insensitive, so compare them folded.
      const roles = new Map<string, number>();
      const issuerRole = issuerRoleName(config).toLowerCase();
      config.controllers.forEach((controller, index) => {
        // A repeated name is reported above; its role would only repeat the same problem.
        if (seen.get(controller.name) !== index) return;
        const role = roleName(config, controller.name).toLowerCase();
        const field = controller.role === undefined ? 'name' : 'role';
        const first = roles.get(role);
        if (first !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['controllers', index, field],
            message: `gives role "${role}", which controllers[${first}] already uses: each region controller needs its own role`,
          });
        } else roles.set(role, index);
        if (role === issuerRole) {
          ctx.addIssue({
            code: 'custom',
            path: ['controllers', index, field],
            message: `gives role "${role}", which is the CI issuer's role: pick another role name`,
          });
          return;
        }
        if (controller.role === undefined) return;
        const legacyRoles = [...config.controllers.map((entry) => legacyNames.role(config, entry.name)), legacyNames.issuerRole(config)];
        const reason = foreignNameProblem(config, 'role', controller.role) ?? legacyClash(config, controller.role, legacyRoles);
        if (reason) ctx.addIssue({ code: 'custom', path: ['controllers', index, 'role'], message: reason });
      });
    }),
  );

/** With keepLegacyNames the stack also manages the old names: an adopted name must not be one of them. */
function legacyClash(config: { keepLegacyNames: boolean | { policy: string } }, name: string, legacy: readonly string[]): string | undefined {
  if (!config.keepLegacyNames || !legacy.includes(name.toLowerCase())) return undefined;
  return `"${name}" is one of the old names keepLegacyNames keeps for the migration: finish the migration (keepLegacyNames: false) before adopting it, or adopt another name`;
}

export type ParsedConfig = z.output<typeof configSchema>;
