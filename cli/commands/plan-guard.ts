/**
 * The one check every engine run that can change Vault passes through: the saved plan is read
 * before anything is applied, and each planned loss of what MAAS cannot do without (its secrets,
 * the auth method every site logs in at, role IDs the regions are configured with, a policy roles
 * still name) is refused unless the run carries the opt-in that names that loss. Moving the
 * secrets (a changed kv.mount or secretsPath) is refused whatever the flags: no flag makes half a
 * move safe.
 */
import type { MaasVaultConfig } from '../../config/index.js';
import type { PlannedResource, SavedPlan } from '../../engine/engine.js';
import { trimPath } from '../../engine/footprint.js';
import { readRole } from '../../vault/approle.js';
import type { VaultClient } from '../../vault/client.js';
import { isPermissionDenied, isVaultApiError } from '../../vault/errors.js';
import { listRoles } from '../../vault/preflight.js';
import { EXIT } from '../exit-codes.js';
import { renderMaasPolicy } from '../../policies/render.js';

export type LossKind = 'secrets' | 'approle' | 'roles' | 'policy';

/** Each kind of loss and the flag that allows it (README, "What maas-vault will never do without asking"). */
export const OPT_INS: Record<LossKind, { flag: string; option: string; commands: readonly ('apply' | 'destroy')[]; describe: string }> = {
  secrets: {
    flag: '--delete-secrets',
    option: 'delete-secrets',
    commands: ['apply', 'destroy'],
    describe: 'allow deleting or replacing a KV mount that holds secrets (MAAS keeps no other copy: take a snapshot first)',
  },
  approle: {
    flag: '--disable-approle',
    option: 'disable-approle',
    commands: ['apply'],
    describe: 'allow disabling or replacing the AppRole auth method while roles live under it (every site on this Vault logs in there)',
  },
  roles: {
    flag: '--replace-roles',
    option: 'replace-roles',
    commands: ['apply'],
    describe: 'allow deleting, replacing or renaming AppRole roles (a new role ID: every region controller on it must be configured again)',
  },
  policy: {
    flag: '--delete-policy',
    option: 'delete-policy',
    commands: ['apply', 'destroy'],
    describe: 'allow deleting, replacing or renaming a policy that roles staying in Vault still name (their tokens lose its access)',
  },
};

export type OptIns = Partial<Record<LossKind, boolean>>;

export interface Loss {
  kind: LossKind;
  address: string;
  /** What goes, in words, with counts. */
  why: string;
  /** How many secrets, roles or policies go with it (for the prompt's counts). */
  count: number;
}

export interface PlanFindings {
  losses: Loss[];
  /** Secrets that would move (mount or secrets path): refused, no opt-in. */
  moves: string[];
  /** What the plan stops managing and leaves in Vault, in words. */
  forgets: string[];
  /** Deletes the check found harmless, in words (an empty mount). */
  notes: string[];
}

/** A planned loss without its opt-in, or a move of the secrets: nothing was changed. */
export class PlanGuardError extends Error {
  override name = 'PlanGuardError';
  readonly exitCode = EXIT.usage;
}

const destructive = (change: PlannedResource) => change.actions.includes('delete');

/** True when the text is what the stack renders for some mount and path with this config's profile. */
function renderedByStack(text: string | undefined, config: MaasVaultConfig): boolean {
  if (!text) return false;
  const granted = /path\s+"([^"]+?)\/data\/([^"]+?)\/\*"/.exec(text);
  if (!granted) return false;
  try {
    const rendered = renderMaasPolicy({ mount: granted[1], path: granted[2], profile: config.policy.profile, lookupSelf: config.policy.lookupSelf });
    return rendered.trim() === text.trim();
  } catch {
    return false;
  }
}

/** The KV paths (`MOUNT/PATH`) a MAAS policy text grants, as rendered from policies/maas-*.hcl. */
export function grantedSecretPaths(policy: string | undefined): string[] {
  if (!policy) return [];
  const paths = new Set<string>();
  for (const match of policy.matchAll(/path\s+"([^"]+?)\/data\/([^"]+?)\/\*"/g)) paths.add(`${match[1]}/${match[2]}`);
  return [...paths].sort();
}

export async function checkPlan(client: VaultClient, config: MaasVaultConfig, plan: SavedPlan, mode: 'apply' | 'destroy'): Promise<PlanFindings> {
  const findings: PlanFindings = { losses: [], moves: [], forgets: [], notes: [] };
  const changes = plan.resources;
  // Roles this plan deletes itself: they are not "left behind" by a deleted policy or auth method.
  const goingRoles = new Set(
    changes.filter((change) => change.type === 'vault_approle_auth_backend_role' && destructive(change)).map((change) => change.before.role_name ?? ''),
  );
  const plannedPolicies = new Map(
    changes
      .filter(
        (change) =>
          change.type === 'vault_approle_auth_backend_role' &&
          !destructive(change) &&
          change.after.role_name !== undefined &&
          change.after.token_policies !== undefined,
      )
      .map((change) => [change.after.role_name!, change.after.token_policies!] as const),
  );
  let liveRoles: Promise<Map<string, string[]>> | undefined;
  const rolesWithPolicies = () => (liveRoles ??= readRolePolicies(client, config.approle.mount));

  for (const change of changes) {
    if (change.actions.includes('forget')) {
      findings.forgets.push(
        `${change.address}: ${describeObject(change)} stays in Vault as it is; this site stops managing it (${forgetReason(change, config)})`,
      );
      continue;
    }
    const pathBefore = trimPath(change.before.path ?? '');
    const pathAfter = trimPath(change.after.path ?? '');
    const moved = pathBefore !== '' && pathAfter !== '' && pathBefore !== pathAfter;
    switch (change.type) {
      case 'vault_mount': {
        if (moved) {
          findings.moves.push(`${change.address}: the KV mount ${pathBefore}/ would move to ${pathAfter}/ (kv.mount changed)`);
          continue;
        }
        if (!destructive(change)) continue;
        const held = await countSecrets(client, pathBefore, { command: mode });
        const verb = change.actions.includes('create') ? 'replaced' : 'deleted';
        if (held.total === 0) findings.notes.push(`the KV mount ${pathBefore}/ is ${verb}: it holds no secrets`);
        else
          findings.losses.push({
            kind: 'secrets',
            address: change.address,
            count: held.total,
            why: `the KV mount ${pathBefore}/ would be ${verb} with ${describeHeld(held)}`,
          });
        break;
      }
      case 'vault_auth_backend': {
        if (!destructive(change) && !moved) continue;
        const roles = (await listRoles(client, pathBefore)).filter((role) => mode === 'apply' || !goingRoles.has(role));
        if (roles.length === 0) continue;
        findings.losses.push({
          kind: 'approle',
          address: change.address,
          count: roles.length,
          why: `the auth method ${pathBefore}/ would be ${moved ? 'moved' : 'disabled'} with the ${roles.length} role${roles.length === 1 ? '' : 's'} under it (${sample(roles)}) and every role ID and secret ID of them`,
        });
        break;
      }
      case 'vault_approle_auth_backend_role': {
        if (mode === 'destroy') continue;
        const renamed = change.before.role_name !== undefined && change.after.role_name !== undefined && change.before.role_name !== change.after.role_name;
        if (!destructive(change) && !renamed) continue;
        const role = change.before.role_name ?? change.address;
        if (change.reason === 'replace_because_tainted' && !renamed) {
          // Tainted: its creation failed part-way (an interrupted apply), so no apply handed out its role ID.
          findings.notes.push(`the role ${role} is replaced: its creation did not finish (tainted), so no region was configured with its role ID`);
          continue;
        }
        const what = change.actions.includes('create') || renamed ? 'replaced (a new role ID)' : 'deleted';
        findings.losses.push({
          kind: 'roles',
          address: change.address,
          count: 1,
          why: `the role ${role} would be ${what}: every region controller on it must be configured again`,
        });
        break;
      }
      case 'vault_policy': {
        const before = grantedSecretPaths(change.before.policy);
        const after = grantedSecretPaths(change.after.policy);
        // A move is the config's kv.mount/secretsPath changing under a policy the stack wrote; a
        // policy text edited by hand is drift the apply puts back.
        if (!destructive(change) && before.length > 0 && after.length > 0 && before.join() !== after.join() && renderedByStack(change.before.policy, config)) {
          findings.moves.push(
            `${change.address}: the policy ${change.before.name} would grant ${after.join(', ')} instead of ${before.join(', ')} (secretsPath or kv.mount changed)`,
          );
          continue;
        }
        const renamed = change.before.name !== undefined && change.after.name !== undefined && change.before.name !== change.after.name;
        if (!destructive(change) && !renamed) continue;
        const name = change.before.name ?? '';
        const naming = [...(await rolesWithPolicies())]
          // A role this plan updates names what the plan gives it (this site's roles follow a renamed policy).
          .map(([role, policies]) => [role, plannedPolicies.get(role) ?? policies] as const)
          .filter(([role, policies]) => (policies.includes(name) || policies.includes(UNREADABLE)) && !goingRoles.has(role))
          .map(([role, policies]) => (policies.includes(UNREADABLE) ? `${role} (not readable with this token)` : role));
        if (naming.length === 0) continue;
        findings.losses.push({
          kind: 'policy',
          address: change.address,
          count: naming.length,
          why: `the policy ${name} would be ${renamed ? 'renamed' : 'deleted'} while ${naming.length} role${naming.length === 1 ? '' : 's'} staying in Vault name${naming.length === 1 ? 's' : ''} it (${sample(naming)}): their tokens lose its access`,
        });
        break;
      }
      case 'vault_generic_endpoint': {
        // An adopted mount's settings endpoint: a new path is the adopted mount changing.
        if (moved && /\/config$/.test(pathBefore))
          findings.moves.push(
            `${change.address}: the adopted KV mount ${pathBefore.replace(/\/config$/, '')}/ would be swapped for ${pathAfter.replace(/\/config$/, '')}/ (kv.mount changed)`,
          );
        break;
      }
    }
  }
  return findings;
}

/** The refusal, or nothing when every loss is opted in and nothing moves. */
export function refusePlan(findings: PlanFindings, optIns: OptIns, command: 'apply' | 'destroy', config: MaasVaultConfig): void {
  const missing = findings.losses.filter((loss) => !optIns[loss.kind]);
  if (findings.moves.length === 0 && missing.length === 0) return;
  const lines = [`${command} refused before changing anything in Vault (nothing was changed):`];
  if (findings.moves.length > 0) {
    lines.push('the plan would move the secrets MAAS stores, and every running region controller would get "permission denied":');
    for (const move of findings.moves) lines.push(`  - ${move}`);
    lines.push(...moveProcedure(config));
  }
  for (const loss of missing) {
    const optIn = OPT_INS[loss.kind];
    const allowed = optIn.commands.includes(command);
    lines.push(`  - ${loss.address}: ${loss.why}; ${allowed ? `only with ${optIn.flag}` : `${command} never does this`}`);
  }
  if (missing.length > 0) lines.push('--auto-approve only answers the prompt: it allows none of these. Put the config back if this was not meant.');
  throw new PlanGuardError(lines.join('\n'));
}

/** What a move takes: credentials for the new place on every region, the data copied, then the change. */
function moveProcedure(config: MaasVaultConfig): string[] {
  return [
    `Put kv.mount (${config.kv.mount}) and secretsPath (${config.secretsPath}) back to what this site was applied with. To move MAAS's secrets:`,
    '  1. set up a second site (another site name) with the new kv.mount/secretsPath and apply it;',
    '  2. copy every secret from the old place to the new one (e.g. `bao kv get`/`kv put`, or a snapshot restore to a test Vault first);',
    "  3. on every region controller run `maas config-vault configure ... --mount NEW_MOUNT --yes` with the second site's commands;",
    '  4. once every region reads its secrets from the new place, destroy the old site (with --delete-secrets if its mount is to go).',
  ];
}

/** The prompt's account of what goes, with counts; empty when nothing is lost. */
export function lossSummary(findings: PlanFindings): string[] {
  return findings.losses.map((loss) => `  - ${loss.why}`);
}

/** What plan and apply say about the plan beyond the engine's own lines. */
export function describeFindings(findings: PlanFindings): string[] {
  const lines: string[] = [];
  for (const forget of findings.forgets) lines.push(`  forget ${forget}`);
  for (const note of findings.notes) lines.push(`  note: ${note}`);
  return lines;
}

function describeObject(change: PlannedResource): string {
  const path = trimPath(change.before.path ?? '');
  switch (change.type) {
    case 'vault_mount':
      return `the KV mount ${path}/ and its data`;
    case 'vault_auth_backend':
      return `the auth method ${path}/ and its roles`;
    case 'vault_kv_secret_backend_v2':
      return `the settings of the KV mount ${trimPath(change.before.path ?? change.before.name ?? '') || 'adopted'}`;
    default:
      return change.before.name ?? change.before.role_name ?? 'the object';
  }
}

function forgetReason(change: PlannedResource, config: MaasVaultConfig): string {
  if (change.type === 'vault_auth_backend' && config.approle.adopt) return 'approle.adopt is set';
  if ((change.type === 'vault_mount' || change.type === 'vault_kv_secret_backend_v2') && config.kv.adopt) return 'kv.adopt is set';
  return 'the config no longer declares it';
}

export interface Held {
  total: number;
  /** Secrets per top-level path under the mount. */
  byTop: Map<string, number>;
  /** The listing stopped (too many, or a path that is no KV-v2 folder): the count is a lower bound. */
  partial: boolean;
  /** With `ownPath`: the keys under it (this site's own MAAS secrets), full paths under the mount. */
  own: string[];
  /** With `ownPath`: the secrets outside it (another site's, another application's), per top-level path. */
  others: Map<string, number>;
}

const MAX_LISTED = 20_000;

/** Stands for the policies of a role the token may not read. */
const UNREADABLE = '\u0000unreadable';

/** The admin token may not LIST the mount's metadata: what it holds is not guessed, nothing is deleted. */
export class MountUnlistableError extends PlanGuardError {
  constructor(command: string, mount: string, path: string) {
    super(
      `${command} refused before changing anything in Vault: the admin token may not list what the KV mount ${mount}/ ` +
        `holds (LIST ${path} answered permission denied), ` +
        `so it cannot tell this site's secrets from another site's or application's. Grant the admin policy path ` +
        `"${mount}/metadata/*" { capabilities = ["list"] } ` +
        `(\`maas-vault policy admin\` prints it for a mount this site created), or use a token that has it. Nothing was changed.`,
    );
  }
}

/**
 * Every secret under a KV-v2 mount, counted per top-level path (recursive LIST of metadata/, key
 * names only). With `ownPath` (a site's secretsPath) it also tells that site's keys from the rest.
 * A LIST the token may not make is refused (MountUnlistableError), never counted as empty.
 */
export async function countSecrets(client: VaultClient, mount: string, options: { ownPath?: string; command?: string } = {}): Promise<Held> {
  const held: Held = { total: 0, byTop: new Map(), partial: false, own: [], others: new Map() };
  const ownPrefix = options.ownPath === undefined ? undefined : `${trimPath(options.ownPath)}/`;
  const pending = [''];
  let listed = 0;
  while (pending.length > 0) {
    const prefix = pending.pop()!;
    const path = `${mount}/metadata/${prefix}`;
    const response = await client.list(path, { accept: [403, 404, 400] });
    if (response.status === 403) throw new MountUnlistableError(options.command ?? 'this run', mount, path);
    if (response.status === 400) {
      // Not a KV-v2 folder: assume the worst rather than say "empty".
      held.partial = true;
      if (held.total === 0) held.total = 1;
      continue;
    }
    if (response.status === 404) continue;
    for (const key of response.data?.keys ?? []) {
      if (++listed > MAX_LISTED) {
        held.partial = true;
        return held;
      }
      if (key.endsWith('/')) {
        pending.push(`${prefix}${key}`);
        continue;
      }
      const full = `${prefix}${key}`;
      held.total += 1;
      const top = full.split('/')[0];
      held.byTop.set(top, (held.byTop.get(top) ?? 0) + 1);
      if (ownPrefix === undefined) continue;
      if (full.startsWith(ownPrefix)) held.own.push(full);
      else held.others.set(top, (held.others.get(top) ?? 0) + 1);
    }
  }
  return held;
}

/** `billing/: 2, grafana/: 1`: counts per top-level path, sorted. */
export function describeTops(byTop: ReadonlyMap<string, number>): string {
  return sample([...byTop].sort(([a], [b]) => a.localeCompare(b)).map(([top, count]) => `${top}/: ${count}`));
}

function describeHeld(held: Held): string {
  const total = `${held.partial ? 'at least ' : ''}${held.total} secret${held.total === 1 ? '' : 's'}`;
  return (
    `${total} in it${held.byTop.size > 0 ? ` (${describeTops(held.byTop)})` : held.partial ? ' (it could not be listed in full)' : ''}, ` +
    `and MAAS keeps no other copy`
  );
}

/** Each role under the AppRole mount and the policies its tokens get. */
async function readRolePolicies(client: VaultClient, mount: string): Promise<Map<string, string[]>> {
  const roles = await listRoles(client, mount);
  const entries = await Promise.all(
    roles.map(async (role) => {
      // A role this token may not read may name the policy: counted as naming it.
      const live = await readRole(client, mount, role).catch((error: unknown) => {
        if (isPermissionDenied(error) || isVaultApiError(error, 403)) return null;
        throw error;
      });
      if (live === null) return [role, [UNREADABLE]] as [string, string[]];
      return [role, [...(live?.token_policies ?? []), ...(live?.policies ?? [])]] as [string, string[]];
    }),
  );
  return new Map(entries);
}

function sample(names: string[]): string {
  return names.slice(0, 5).join(', ') + (names.length > 5 ? `, and ${names.length - 5} more` : '');
}
