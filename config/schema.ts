/**
 * The shape of `maas-vault.json` / `maas-vault.yaml`, with defaults taken from the MAAS docs.
 * Every rule's message is written for the person fixing the file: it says what is allowed.
 */
import { z } from 'zod';
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
import { foreignNameProblem, issuerRoleName, legacyNames, roleName, sitePolicyNameProblem } from './naming.js';

/** Turns one of the `*Problem` rules into a zod refinement that reports its reason. */
function ruled(problem: (value: string) => string | undefined) {
  return z.string().superRefine((value, ctx) => {
    const reason = problem(value);
    if (reason) ctx.addIssue({ code: 'custom', message: reason });
  });
}

const roleTtl = ruled((value) => durationProblem(value, TTL_LIMITS.role));
const wrapTtl = ruled((value) => durationProblem(value, TTL_LIMITS.wrap));
const cidrList = z.array(ruled(cidrProblem)).min(1, 'must list at least one CIDR block, or leave the key out');

const vaultAddress = ruled((value) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `"${printable(value)}" is not a URL: write it as https://vault.example.com:8200`;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must start with https:// or http://';
  if (url.username || url.password) return 'must not carry credentials: the token comes from VAULT_TOKEN';
  if (url.pathname !== '/' || url.search || url.hash) {
    return `must be only scheme, host and port (write "${url.origin}")`;
  }
  return undefined;
});

/** Where the engine keeps its state. The pg connection itself is never in the file (see stacks/state-backend.ts). */
export const stateSchema = z
  .strictObject({
    backend: z.enum(['local', 'pg'], { message: "must be 'local' (a file in workDir) or 'pg' (PostgreSQL, shared by every admin and CI)" }).default('local'),
    schema: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a PostgreSQL schema name: 1-63 lowercase letters, digits or _, not starting with a digit')
      .optional(),
    /** Named only to refuse it with a message saying where the connection string goes instead. */
    connStr: z.unknown().optional(),
    /** OpenTofu's state and plan encryption; the passphrase comes from the named environment variable. */
    encryption: z
      .strictObject({
        passphraseEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'must be the name of an environment variable (letters, digits, _), not the passphrase'),
      })
      .optional(),
  })
  .superRefine((state, ctx) => {
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
  });

export const controllerSchema = z.strictObject({
  name: ruled(controllerNameProblem),
  /** An AppRole role that already exists (set up by hand): adopted under this name, role ID kept. */
  role: ruled(roleNameProblem).optional(),
  cidrs: cidrList.optional(),
  /** Set after `maas-vault revoke`: the role stays, but nothing issues it a secret ID until this is removed. */
  revoked: z.boolean().default(false),
});

export const configSchema = z
  .strictObject({
    site: ruled(siteNameProblem),
    vault: z
      .strictObject({
        address: vaultAddress,
        /** The URL region controllers reach Vault at, when it differs from the admin's. */
        maasAddress: vaultAddress.optional(),
        caCert: z.string().min(1, 'must name a PEM file').optional(),
        namespace: z.string().regex(/^[A-Za-z0-9_\-/]+$/, "may contain only letters, digits, '-', '_' and '/'").optional(),
      }),
    approle: z
      .strictObject({
        mount: z
          .string()
          .refine((value) => value === 'approle', {
            message: "must be 'approle': MAAS logs in at auth/approle/login and cannot use another mount",
          })
          .default('approle'),
        adopt: z.boolean().default(false),
      })
      .prefault({}),
    kv: z
      .strictObject({
        mount: ruled((value) => vaultPathProblem(value, 'mount')).default('secret'),
        adopt: z.boolean().default(false),
        maxVersions: z.int().min(0, 'must be 0 (keep Vault default) or more').max(1000, 'must be at most 1000').optional(),
      })
      .prefault({}),
    secretsPath: ruled((value) => vaultPathProblem(value, 'path')).default('maas'),
    policy: z
      .strictObject({
        name: ruled(policyNameProblem).optional(),
        /** The policy already exists (set up by hand): imported, then its text managed. */
        adopt: z.boolean().default(false),
        profile: z.enum(['documented', 'strict'], { message: "must be 'documented' or 'strict'" }).default('documented'),
        /** Grants auth/token/lookup-self in the MAAS policy, for roles that drop Vault's default policy. */
        lookupSelf: z.boolean().default(false),
      })
      .prefault({}),
    tokenTtl: roleTtl.default('5m'),
    tokenMaxTtl: roleTtl.optional(),
    secretIdTtl: roleTtl.optional(),
    wrapTtl: wrapTtl.default('5m'),
    /**
     * False where CI issues every secret ID with `maas-vault credentials`: the stack then issues
     * none. Defaults to true, and to false on a site that adopts roles (their regions keep theirs).
     */
    stackSecretIds: z.boolean().optional(),
    generation: z.int('must be a whole number').min(1, 'must be 1 or more').max(1_000_000, 'must be at most 1000000').default(1),
    controllers: z.array(controllerSchema).min(1, 'must list at least one region controller'),
    issuer: z
      .strictObject({
        enabled: z.boolean().default(false),
        tokenTtl: roleTtl.default('15m'),
        cidrs: cidrList.optional(),
      })
      .prefault({}),
    workDir: z.string().min(1, 'must name a directory').optional(),
    /** During the migration to the '_' names: keep the old roles and policy until every region uses its new role. */
    keepLegacyNames: z
      .union([z.boolean(), z.strictObject({ policy: ruled(policyNameProblem) })], {
        message: 'must be true, false, or { "policy": "<the policy.name 0.1.0 used>" }',
      })
      .default(false),
    state: stateSchema.prefault({}),
  })
  .superRefine((config, ctx) => {
    const ttl = parseDuration(config.tokenTtl);
    const maxTtl = config.tokenMaxTtl === undefined ? undefined : parseDuration(config.tokenMaxTtl);
    if (ttl !== undefined && maxTtl !== undefined && maxTtl < ttl) {
      ctx.addIssue({
        code: 'custom',
        path: ['tokenMaxTtl'],
        message: `"${config.tokenMaxTtl}" is shorter than tokenTtl "${config.tokenTtl}": make it at least as long`,
      });
    }
    if (config.policy.name !== undefined && policyNameProblem(config.policy.name) === undefined) {
      // An adopted policy keeps the name it was made with by hand: only another site's names are refused.
      const reason = config.policy.adopt
        ? (foreignNameProblem(config, 'policy', config.policy.name) ?? legacyClash(config, config.policy.name, [legacyNames.policy(config), legacyNames.issuerPolicy(config)]))
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
  });

/** With keepLegacyNames the stack also manages the old names: an adopted name must not be one of them. */
function legacyClash(config: { keepLegacyNames: boolean | { policy: string } }, name: string, legacy: readonly string[]): string | undefined {
  if (!config.keepLegacyNames || !legacy.includes(name.toLowerCase())) return undefined;
  return `"${name}" is one of the old names keepLegacyNames keeps for the migration: finish the migration (keepLegacyNames: false) before adopting it, or adopt another name`;
}

export type ParsedConfig = z.output<typeof configSchema>;
