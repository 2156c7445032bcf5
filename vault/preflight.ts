/**
 * Checks made before any change (plan, apply, destroy): every problem the stack would run into
 * with what already lives in Vault, found with one Vault round trip per check and reported
 * together, so a refusal comes before the first write. A token that may not read what a check
 * needs fails the command as permission denied (exit 1), naming the path, like any other call. The engine would otherwise write the
 * policy and issue secret IDs, then stop on "path is already in use" with half a site applied.
 */
import { legacyNames, type MaasVaultConfig } from '../config/index.js';
import type { VaultClient } from './client.js';
import { readPolicy } from './acl-policy.js';
import { describePrefix, grantedPaths, overlaps } from './granted-paths.js';
import { allInOrder } from './in-order.js';
import { readMounts } from './mounts.js';

export interface PreflightFootprint {
  mounts: string[];
  authMounts: string[];
  policies: string[];
  roles: string[];
}

export interface PreflightInput {
  /** What the stack would create. */
  creates: PreflightFootprint;
  /** What this site's state already holds (so re-applies pass). */
  owned: PreflightFootprint;
  /** An adopted KV mount: must exist and be KV version 2. */
  adoptedKv?: string;
  /** An adopted auth method path: must exist and be an AppRole method. */
  adoptedApprole?: string;
  /** The AppRole mount the roles live under. */
  approleMount: string;
  /** Where this site's regions keep their secrets, and the policies that are this site's own (they grant it). */
  secrets?: { mount: string; path: string; ownPolicies: string[] };
}

export class PreflightError extends Error {
  override name = 'PreflightError';
  readonly exitCode = 2;
  constructor(readonly problems: string[]) {
    super(
      `pre-flight checks found ${problems.length} problem${problems.length === 1 ? '' : 's'}; nothing was changed in Vault:\n` +
        problems.map((problem) => `  - ${problem}`).join('\n'),
    );
  }
}

/** Throws PreflightError listing every problem; returns quietly when there is none. */
export async function preflight(client: VaultClient, input: PreflightInput): Promise<void> {
  const checks = await allInOrder([
    checkMounts(client, input),
    checkAuthMethods(client, input),
    checkPolicies(client, input),
    checkRoles(client, input),
    checkNestedPaths(client, input),
  ]);
  const problems = checks.flat();
  if (problems.length > 0) throw new PreflightError(problems);
}

/** One GET of sys/mounts: mounts to create must be free; an adopted one must be KV version 2. */
async function checkMounts(client: VaultClient, input: PreflightInput): Promise<string[]> {
  const mounts = await readMounts(client, 'secrets');
  const problems: string[] = [];
  for (const path of input.creates.mounts) {
    if (!mounts.has(path) || input.owned.mounts.includes(path)) continue;
    problems.push(
      `kv.mount: ${path}/ already exists in Vault and is not this site's. To use it, set kv.adopt: true (its data stays on destroy); ` +
        `or choose another kv.mount; or, if this site created it with a lost work directory, import it into the state (the README's "Adopting existing mounts")`,
    );
  }
  if (input.adoptedKv !== undefined) {
    const mount = mounts.get(input.adoptedKv);
    if (!mount) {
      problems.push(
        `kv.adopt: there is no mount at ${input.adoptedKv}/ to adopt: ` +
          `create it as KV version 2 (${await client.cliCommand(`secrets enable -path=${input.adoptedKv} kv-v2`)}), ` +
          'or set kv.adopt: false to let maas-vault create it',
      );
    } else if (mount.type !== 'kv' || mount.options?.version !== '2') {
      const found = mount.type === 'kv' || mount.type === 'generic' ? `KV version ${mount.options?.version ?? '1'}` : `a "${mount.type}" secrets engine`;
      problems.push(
        `kv.adopt: ${input.adoptedKv}/ is ${found}; MAAS needs KV version 2, and maas-vault leaves this mount and its secrets untouched. ` +
          `Choose another kv.mount (kv.adopt: false creates one), or upgrade this mount to version 2 yourself once its users are ready for it`,
      );
    }
  }
  return problems;
}

/** One GET of sys/auth: auth methods to create must be free; an adopted one must be AppRole. */
async function checkAuthMethods(client: VaultClient, input: PreflightInput): Promise<string[]> {
  const methods = await readMounts(client, 'auth');
  const problems: string[] = [];
  for (const path of input.creates.authMounts) {
    if (!methods.has(path) || input.owned.authMounts.includes(path)) continue;
    problems.push(
      `approle.mount: the auth method ${path}/ already exists in Vault and is not this site's (another site or application uses it). ` +
        `Set approle.adopt: true to add this site's roles to it (destroy then leaves it alone)`,
    );
  }
  if (input.adoptedApprole !== undefined) {
    const method = methods.get(input.adoptedApprole);
    if (!method)
      problems.push(
        `approle.adopt: there is no auth method at ${input.adoptedApprole}/ to adopt: ` +
          `enable it (${await client.cliCommand('auth enable approle')}), or set approle.adopt: false`,
      );
    else if (method.type !== 'approle')
      problems.push(`approle.adopt: ${input.adoptedApprole}/ is a "${method.type}" auth method, not AppRole: MAAS can only log in with AppRole`);
  }
  return problems;
}

/** One GET per policy the stack writes (the admin policy grants read on exactly those). */
async function checkPolicies(client: VaultClient, input: PreflightInput): Promise<string[]> {
  const foreign = input.creates.policies.filter((name) => !input.owned.policies.includes(name));
  const found = await allInOrder(
    foreign.map(async (name) => {
      return (await readPolicy(client, name)) === undefined ? undefined : name;
    }),
  );
  return found.flatMap((name) => {
    if (name === undefined) return [];
    return [
      `policy.name: the policy ${name} already exists in Vault and is not in this site's state: apply would overwrite it. ` +
        "Choose another policy.name (or site), or, if it is this site's from a lost work directory, import it into the state",
    ];
  });
}

/**
 * One LIST and one GET per ACL policy: no other policy may grant on this site's secrets path, a
 * path under it, or one it lies under. With `maas` and `maas/dc2` on one mount, the `maas` site's
 * regions read and overwrite the other's secrets, and its destroy would count them as its own.
 */
async function checkNestedPaths(client: VaultClient, input: PreflightInput): Promise<string[]> {
  if (input.secrets === undefined) return [];
  const { mount, path, ownPolicies } = input.secrets;
  const granted = await grantedPaths(client, mount, ownPolicies);
  // A grant on the whole mount is an operator's or a backup's, never a site's secrets path (that is never empty).
  const clashing = granted.filter((grant) => grant.prefix !== '' && overlaps(path, grant.prefix));
  const own = `${mount}/${path}/`;
  return clashing.map((grant) => {
    const other = `${describePrefix(mount, grant.prefix)} (granted by the policy ${grant.policy}: another MAAS site's or application's path)`;
    const nestedInOwn = grant.prefix.startsWith(`${path}/`) && grant.prefix !== `${path}/`;
    const relation = grant.prefix === `${path}/` ? `${own} is also ${other}` : nestedInOwn ? `${other} lies under ${own}` : `${own} lies under ${other}`;
    return (
      `secretsPath: ${relation}: either site's regions could read and overwrite the other's secrets, and a destroy could take them. ` +
      `Give this site a sibling path such as ${siblingPath(path)} (secretsPath), not one nested in or around the other's, or another kv.mount`
    );
  });
}

/** The policies that are this site's: what it writes and holds, and its name before the '_' scheme (a migration keeps it a while). */
export function ownPolicyNames(config: MaasVaultConfig, ...footprints: Pick<PreflightFootprint, 'policies'>[]): string[] {
  return [...new Set([config.policy.name, legacyNames.policy(config), ...footprints.flatMap((footprint) => footprint.policies)])];
}

/** `maas/dc2` → `maas-dc2`: the same words at the top level, beside the other site's path rather than in it. */
function siblingPath(path: string): string {
  return path.includes('/') ? path.split('/').filter(Boolean).join('-') : `${path}-2`;
}

/** One LIST of the AppRole roles: role names the stack creates must not belong to anyone else. */
async function checkRoles(client: VaultClient, input: PreflightInput): Promise<string[]> {
  const foreign = input.creates.roles.filter((name) => !input.owned.roles.includes(name));
  if (foreign.length === 0) return [];
  const existing = await listRoles(client, input.approleMount);
  const taken = foreign.filter((name) => existing.includes(name));
  if (taken.length === 0) return [];
  const shown = taken.slice(0, 5).join(', ') + (taken.length > 5 ? ` and ${taken.length - 5} more` : '');
  return [
    `${taken.length} AppRole role${taken.length === 1 ? '' : 's'} the stack would create already exist${taken.length === 1 ? 's' : ''} and ${taken.length === 1 ? 'is' : 'are'} not in this site's state (${shown}): ` +
      "apply would take them over. Choose another site name, or, if they are this site's from a lost work directory, import them into the state",
  ];
}

/** Role names under an AppRole mount; none when the mount or its roles do not exist. */
export async function listRoles(client: VaultClient, mount: string): Promise<string[]> {
  const response = await client.list(`auth/${mount}/role`, { accept: [404, 400] });
  return response.status === 200 ? (response.data?.keys ?? []) : [];
}
