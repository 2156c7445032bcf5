/**
 * Whether the token's admin policy is the one rendered for this config, asked before the first
 * write: a policy rendered for an older config (the issuer enabled since, a controller revoked or
 * added, approle.adopt turned off...) otherwise lets the engine write part of the site and stop on
 * "permission denied". `sys/capabilities-self` answers for the concrete paths the stack writes;
 * the texts the policy pins (allowed_parameters, which that endpoint cannot see) are told by the
 * marker paths the renderer adds (policies/render.ts). Both come from the rendered policy itself,
 * so the check cannot drift from what `maas-vault policy admin` prints.
 */
import { issuerPolicyName, issuerRoleName, legacyNames, roleName, type MaasVaultConfig } from '../config/index.js';
import { adminPolicyGrants, pathsAddedSincePreviousRelease, renderedForMarkers } from '../policies/render.js';
import type { VaultClient } from './client.js';
import { isPermissionDenied } from './errors.js';
import { serverCli } from './server-flavour.js';
import { capabilitiesSelf, lookupSelf } from './token-self.js';

export interface AdminPolicyGap {
  path: string;
  /** What the rendered admin policy grants there and the token may not. */
  capabilities: string[];
  /** Set on a marker path: the policy whose pinned text differs. */
  pinnedPolicy?: string;
  /** The path of the rendered policy's block that grants it, where that is a glob over `path`. */
  grant?: string;
}

export interface AdminPolicyCheck {
  /** Nothing is missing (a root token, or the admin policy rendered for this config). */
  current: boolean;
  gaps: AdminPolicyGap[];
  /** The config change that explains every gap, when one single change does. */
  change?: string;
  /** The token may do more than this config needs, in words (never a refusal). */
  wider: string[];
  /** Every gap is a path this maas-vault added to the admin policy: rendered for this config by the one before, re-rendered once. */
  upgrade?: boolean;
  /**
   * The token holds every marker of the policy rendered for this config (they pin the MAAS and
   * issuer policy texts only), and neither one config change nor the upgrade explains what it
   * lacks: edited since, or rendered for a config several changes away. `'all'`: it holds none of
   * the policy's grants, only its markers, which no config renders.
   */
  edited?: 'some' | 'all';
  /** The token grants none of what the rendered policy grants: it carries no admin policy of this site. */
  noAdminPolicy: boolean;
  /** The token's policies other than `default`, from auth/token/lookup-self. */
  policies: string[];
  /** The command that re-renders the policy and writes it under the name the token carries. */
  rewrite: string;
}

type Needs = Map<string, { capabilities: string[]; pinnedPolicy?: string; grant?: string }>;

/** Asks Vault once (lookup-self, capabilities-self); `undefined` when the token may not ask. */
export async function checkAdminPolicy(client: VaultClient, config: MaasVaultConfig): Promise<AdminPolicyCheck | undefined> {
  const variants = configVariants(config);
  const needs = requiredCapabilities(config);
  const variantNeeds = variants.map(({ config: variant, change }) => ({ change, config: variant, needs: requiredCapabilities(variant) }));
  const widerProbes = widerChecks(config);
  const paths = [...new Set([...needs.keys(), ...variantNeeds.flatMap(({ needs: other }) => [...other.keys()]), ...widerProbes.map(({ path }) => path)])];
  const [self, answer] = await Promise.all([
    lookupSelf(client),
    capabilitiesSelf(client, paths).catch((error: unknown) => {
      if (isPermissionDenied(error)) return undefined;
      throw error;
    }),
  ]);
  if (!answer) return undefined;
  const granted = (path: string): string[] => answer.data?.[path] ?? [];
  const policies = [...new Set([...(self.data?.policies ?? []), ...(self.data?.identity_policies ?? [])])].filter((name) => name !== 'default');
  const profile = await client.serverProfile().catch(() => undefined);
  const rewrite = rewriteCommand(config, policies, serverCli(profile?.flavour));
  if (policies.includes('root')) return { current: true, gaps: [], wider: [], noAdminPolicy: false, policies, rewrite };

  const gapsOf = (wanted: Needs, has: (path: string) => string[] = granted): AdminPolicyGap[] =>
    [...wanted].flatMap(([path, { capabilities, pinnedPolicy, grant }]) => {
      const have = has(path);
      if (have.includes('root')) return [];
      const lacking = capabilities.filter((capability) => !have.includes(capability));
      return lacking.length === 0 ? [] : [{ path, capabilities: lacking, ...(pinnedPolicy ? { pinnedPolicy } : {}), ...(grant ? { grant } : {}) }];
    });
  const gaps = gapsOf(needs);
  const wider = widerProbes.filter(({ path, capabilities }) => capabilities.some((capability) => granted(path).includes(capability))).map(({ text }) => text);
  // Without one of the markers of this config or of a config one change away, the token holds no
  // admin policy this maas-vault rendered for the site (none at all, or one rendered before the markers).
  const markers = [needs, ...variantNeeds.map(({ needs: other }) => other)].flatMap((wanted) =>
    [...wanted].filter(([, need]) => need.pinnedPolicy).map(([path]) => path),
  );
  // (Markers alone missing, every path granted: a policy rendered by an older maas-vault, told as stale, not as missing.)
  const noAdminPolicy = gaps.some((gap) => !gap.pinnedPolicy) && !markers.some((path) => granted(path).includes('read'));
  // Of the configs one change away that the token's policy covers, the closest (the one needing the most) names the change.
  // (The read and delete on what an earlier config left are not counted: every variant has them, for different names.)
  const size = (wanted: Needs, variant: MaasVaultConfig) => {
    const leftovers = new Set(pathsAddedSincePreviousRelease(variant));
    return [...wanted.keys()].filter((path) => !leftovers.has(path)).length;
  };
  // A change explains the gaps only where the token lacks exactly what the policy rendered before it
  // would lack: a policy missing one block of several that kv.adopt takes away was not rendered with kv.adopt.
  const explains = (variant: MaasVaultConfig) => {
    const variantGrants = adminPolicyGrants(variant);
    return sameGaps(
      gaps,
      gapsOf(needs, (path) => mostSpecific(variantGrants, path)?.capabilities ?? []),
    );
  };
  const explaining = variantNeeds
    .filter(({ needs: other, config: variant }) => gapsOf(other).length === 0 && explains(variant))
    .sort((a, b) => size(b.needs, b.config) - size(a.needs, a.config));
  const change = gaps.length === 0 || noAdminPolicy ? undefined : explaining[0]?.change;
  const added = new Set(pathsAddedSincePreviousRelease(config));
  const upgrade = gaps.length > 0 && !noAdminPolicy && gaps.every((gap) => !gap.pinnedPolicy && added.has(gap.path));
  // Every marker of this config held: rendered for this config, so what it lacks was taken out of it.
  const grantsNone = [...needs].every(
    ([path, need]) => need.pinnedPolicy || !granted(path).some((have) => have === 'root' || need.capabilities.includes(have)),
  );
  const edited = gaps.length > 0 && !noAdminPolicy && !upgrade && !change && gaps.every((gap) => !gap.pinnedPolicy);
  return {
    current: gaps.length === 0,
    gaps,
    change,
    ...(upgrade ? { upgrade } : {}),
    ...(edited ? { edited: grantsNone ? ('all' as const) : ('some' as const) } : {}),
    wider,
    noAdminPolicy,
    policies,
    rewrite,
  };
}

function sameGaps(a: readonly AdminPolicyGap[], b: readonly AdminPolicyGap[]): boolean {
  const key = (gaps: readonly AdminPolicyGap[]) =>
    gaps
      .map(({ path, capabilities }) => `${path}=${[...capabilities].sort().join(',')}`)
      .sort()
      .join(' ');
  return key(a) === key(b);
}

/** The refusal of a token holding the site's admin policy rendered for another config: a config matter, exit 2. */
export class AdminPolicyStaleError extends Error {
  override name = 'AdminPolicyStaleError';
  readonly exitCode = 2;
  constructor(action: string, config: MaasVaultConfig, check: AdminPolicyCheck) {
    super(`${action} refused before changing anything in Vault (nothing was changed): ${describeAdminPolicyGaps(config, check)}`);
  }
}

/** The refusal of a token holding no admin policy of the site: a permission denied, exit 1, said before the engine is. */
export class AdminPolicyMissingError extends Error {
  override name = 'AdminPolicyMissingError';
  readonly exitCode = 1;
  constructor(action: string, config: MaasVaultConfig, check: AdminPolicyCheck) {
    super(`${action} refused before changing anything in Vault (nothing was changed): ${describeAdminPolicyGaps(config, check)}`);
  }
}

/** One paragraph for a refusal or a status finding. */
export function describeAdminPolicyGaps(config: MaasVaultConfig, check: AdminPolicyCheck): string {
  const holder = check.policies.length === 0 ? 'the token' : `the token's polic${check.policies.length === 1 ? 'y' : 'ies'} (${check.policies.join(', ')})`;
  const paths = check.gaps
    .filter((gap) => !gap.pinnedPolicy)
    .map((gap) => `${gap.capabilities.join(', ')} on ${gap.path}${gap.grant ? ` (its block path "${gap.grant}")` : ''}`);
  const listed = `${paths.slice(0, 3).join('; ')}${paths.length > 3 ? ` and ${paths.length - 3} more` : ''}`;
  if (check.noAdminPolicy) {
    const singular = check.policies.length <= 1;
    return (
      `permission denied ahead: ${holder} ${singular ? 'does' : 'do'} not grant ${listed}, and ${singular ? 'holds' : 'hold'} no admin policy ` +
      `rendered for site ${config.site} by this maas-vault, so the engine would be refused partway. Render it and give the token that policy: ${check.rewrite}`
    );
  }
  if (check.edited === 'all') {
    // No config renders a policy without grants: these markers were copied or the grants cut out.
    return (
      `${holder} ${check.policies.length <= 1 ? 'holds' : 'hold'} only the markers of the admin policy \`maas-vault policy admin\` renders for ` +
      `${config.source}, none of its grants (it does not grant ${listed}): not that policy as rendered (edited, or written by hand), so the engine would be ` +
      `refused partway. Render it and write it: ${check.rewrite}`
    );
  }
  if (check.edited === 'some') {
    return (
      `${holder} ${check.policies.length <= 1 ? 'holds' : 'hold'} the markers of the admin policy \`maas-vault policy admin\` renders for ` +
      `${config.source}, but not its grant of ${listed}, and no single change of the config explains that: edited since it was rendered, ` +
      `or rendered for a config several changes away, so the engine would be refused partway. Render it again and write it: ${check.rewrite}`
    );
  }
  const pinned = check.gaps.filter((gap) => gap.pinnedPolicy).map((gap) => gap.pinnedPolicy!);
  const what = [
    ...(paths.length > 0 ? [`does not grant ${listed}`] : []),
    ...(pinned.length > 0 ? [`pins another text of the policy ${pinned.join(' and ')} than this config renders`] : []),
  ].join(', and ');
  const why = check.upgrade
    ? 'was rendered by an older maas-vault, before the admin policy let apply delete what an earlier config created ' +
      "(the CI issuer, a renamed policy) and let destroy read other roles' settings (re-rendered once after the upgrade)"
    : check.change
      ? `was rendered before ${check.change} in ${config.source}`
      : `was rendered for another config than ${config.source} (or by an older maas-vault)`;
  return `the admin policy in ${holder} ${why}: it ${what}, so the engine would be refused partway. Re-render it and write it again: ${check.rewrite}`;
}

/** The command with the policy name the token carries (maas-admin-<site> when it carries none by name). */
export function rewriteCommand(config: MaasVaultConfig, policies: readonly string[], cli: 'vault' | 'bao' = 'vault'): string {
  const own = policies.filter((name) => name !== 'root');
  const admin = own.length === 1 ? own[0] : (own.find((name) => name.includes('admin')) ?? own[0] ?? adminPolicyName(config));
  const file = `${admin}.hcl`;
  return `\`maas-vault policy admin --config ${shellWord(config.source)} > ${shellWord(file)} && ${cli} policy write ${shellWord(admin)} ${shellWord(file)}\``;
}

/** The name the README and `policy --help` suggest for a site's admin policy. */
export function adminPolicyName(config: Pick<MaasVaultConfig, 'site'>): string {
  return `maas-admin-${config.site}`;
}

function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * What the rendered admin policy grants, on the concrete paths the stack writes: a glob stands for
 * the roles and paths of this config it covers, and each path expects what the most specific of
 * the policy's paths grants there (as Vault picks it).
 */
function requiredCapabilities(config: MaasVaultConfig): Needs {
  const grants = adminPolicyGrants(config);
  const markers = new Map(renderedForMarkers(config).map(({ path, policy }) => [path, policy]));
  const concrete = concretePaths(config);
  const needs: Needs = new Map();
  for (const grant of grants) {
    const probes = grant.path.endsWith('*') ? concrete.filter((path) => path.startsWith(grant.path.slice(0, -1))) : [grant.path];
    for (const path of probes.length > 0 ? probes : [grant.path]) {
      const granting = mostSpecific(grants, path) ?? grant;
      needs.set(path, {
        capabilities: granting.capabilities,
        ...(markers.has(path) ? { pinnedPolicy: markers.get(path) } : {}),
        ...(granting.path !== path ? { grant: granting.path } : {}),
      });
    }
  }
  return needs;
}

function mostSpecific(grants: readonly { path: string; capabilities: string[] }[], path: string) {
  const exact = grants.find((grant) => grant.path === path);
  if (exact) return exact;
  return grants.filter((grant) => grant.path.endsWith('*') && path.startsWith(grant.path.slice(0, -1))).sort((a, b) => b.path.length - a.path.length)[0];
}

/** The roles (and their secret-ID paths) and the KV paths the stack of this config writes or reads. */
function concretePaths(config: MaasVaultConfig): string[] {
  const roles = config.controllers.map((controller) => roleName(config, controller.name));
  if (config.keepLegacyNames) roles.push(...config.controllers.map((controller) => legacyNames.role(config, controller.name)));
  if (config.issuer.enabled) roles.push(issuerRoleName(config));
  if (config.issuer.enabled && config.keepLegacyNames) roles.push(legacyNames.issuerRole(config));
  return [
    ...roles.flatMap((role) => [`auth/approle/role/${role}`, `auth/approle/role/${role}/secret-id`]),
    // A key below the secrets path (MAAS's controller/ folder), not the folder itself: HashiCorp
    // Vault answers for `MOUNT/metadata/PATH/` from the shorter `MOUNT/metadata/*` when both globs
    // are in the policy (OpenBao from the longer), so the folder would look like a gap on Vault.
    `${config.kv.mount}/metadata/${config.secretsPath}/controller/`,
  ];
}

/** Single config changes that need a re-render, each as the config before it and in words. */
function configVariants(config: MaasVaultConfig): { config: MaasVaultConfig; change: string }[] {
  const variants: { config: MaasVaultConfig; change: string }[] = [];
  const withControllers = (controllers: MaasVaultConfig['controllers']) => ({ ...config, controllers });
  if (config.issuer.enabled) variants.push({ config: { ...config, issuer: { ...config.issuer, enabled: false } }, change: 'issuer.enabled was set' });
  config.controllers.forEach((controller, index) => {
    const others = config.controllers.filter((_, at) => at !== index);
    const entry = `controllers[${index}] (${controller.name})`;
    if (controller.revoked) {
      variants.push({
        config: withControllers(config.controllers.map((c, at) => (at === index ? { ...c, revoked: false } : c))),
        change: `${entry} was marked "revoked": true`,
      });
    }
    // The issuer's policy lists the controllers not revoked: one added and one whose mark was removed look alike.
    if (others.length > 0 && !controller.revoked) {
      variants.push({
        config: withControllers(others),
        change: `${entry} was added${config.issuer.enabled ? ' (or its "revoked" mark removed) with issuer.enabled' : ''}`,
      });
    }
    if (controller.role !== undefined) {
      variants.push({
        config: withControllers(config.controllers.map((c, at) => (at === index ? { ...c, role: undefined } : c))),
        change: `${entry}.role was set`,
      });
    }
  });
  if (!config.approle.adopt) variants.push({ config: { ...config, approle: { ...config.approle, adopt: true } }, change: 'approle.adopt was turned off' });
  if (!config.kv.adopt) variants.push({ config: { ...config, kv: { ...config.kv, adopt: true } }, change: 'kv.adopt was turned off' });
  variants.push({
    config: { ...config, keepLegacyNames: !config.keepLegacyNames },
    change: `keepLegacyNames was ${config.keepLegacyNames ? 'set' : 'turned off'}`,
  });
  const profile = config.policy.profile === 'strict' ? 'documented' : 'strict';
  variants.push({ config: { ...config, policy: { ...config.policy, profile } }, change: `policy.profile changed from ${profile} to ${config.policy.profile}` });
  variants.push({
    config: { ...config, policy: { ...config.policy, lookupSelf: !config.policy.lookupSelf } },
    change: `policy.lookupSelf was ${config.policy.lookupSelf ? 'set' : 'turned off'}`,
  });
  return variants;
}

/** What an adopting site's admin should no longer be able to do: disable or delete what it adopted. */
function widerChecks(config: MaasVaultConfig): { path: string; capabilities: string[]; text: string }[] {
  const checks = [];
  if (config.approle.adopt) {
    checks.push({
      path: 'sys/auth/approle',
      capabilities: ['delete', 'sudo'],
      text:
        `the token's admin policy can still disable approle/ (rendered before approle.adopt was set): other sites' region controllers log in there. ` +
        'Re-render and write it again to make approle/ read only',
    });
  }
  if (config.kv.adopt) {
    checks.push({
      path: `sys/mounts/${config.kv.mount}`,
      capabilities: ['delete'],
      text:
        `the token's admin policy can still delete the adopted mount ${config.kv.mount}/ and every secret in it (rendered before kv.adopt was set). ` +
        'Re-render and write it again',
    });
  }
  return checks;
}

/** A controller the token may not issue a secret ID for, and the paths it lacks. */
export interface SecretIdGap {
  name: string;
  paths: string[];
}

/**
 * credentials and rotate, before the first secret ID: whether the token (the admin's, or CI's
 * issuer token) may read each role's ID and issue it a secret ID. `undefined` when the token may
 * not ask, or may issue for no controller of the site: then the calls themselves say what is missing.
 */
export async function checkSecretIdGrants(
  client: VaultClient,
  config: MaasVaultConfig,
  roles: readonly { name: string; role: string }[],
): Promise<{ gaps: SecretIdGap[]; policies: string[]; rewrite: string } | undefined> {
  // Every controller of the site is asked about, so a token that may issue for none of them is told
  // apart (the calls' own permission denied, exit 1) from one whose policy predates some (exit 2).
  const site = config.controllers
    .filter((controller) => !controller.revoked)
    .map((controller) => ({ name: controller.name, role: roleName(config, controller.name) }));
  const paths = (list: readonly { name: string; role: string }[]) =>
    list.flatMap(({ name, role }) => [
      { name, path: `auth/approle/role/${role}/role-id`, capability: 'read' },
      { name, path: `auth/approle/role/${role}/secret-id`, capability: 'update' },
    ]);
  const wanted = paths(roles);
  if (wanted.length === 0) return undefined;
  const probes = [...new Set([...wanted, ...paths(site)].map(({ path }) => path))];
  // A token Vault refuses, or one without the default policy, is left to the calls that follow: they say which it is.
  const refused = (error: unknown) => {
    if (isPermissionDenied(error)) return undefined;
    throw error;
  };
  const [self, answer] = await Promise.all([lookupSelf(client).catch(refused), capabilitiesSelf(client, probes).catch(refused)]);
  if (!self || !answer) return undefined;
  const issuesFor = ({ path, capability }: { path: string; capability: string }) =>
    (answer.data?.[path] ?? []).some((have) => have === 'root' || have === capability);
  if (!paths(site).some(issuesFor)) return undefined;
  const policies = [...new Set([...(self.data?.policies ?? []), ...(self.data?.identity_policies ?? [])])].filter((name) => name !== 'default');
  const gaps = new Map<string, string[]>();
  for (const { name, path, capability } of wanted) {
    if (issuesFor({ path, capability })) continue;
    gaps.set(name, [...(gaps.get(name) ?? []), `${capability} on ${path}`]);
  }
  const profile = await client.serverProfile().catch(() => undefined);
  return { gaps: [...gaps].map(([name, paths]) => ({ name, paths })), policies, rewrite: rewriteCommand(config, policies, serverCli(profile?.flavour)) };
}

/** The refusal: which controllers, which paths, and the fix for the kind of token it is. */
export class SecretIdGrantsError extends Error {
  override name = 'SecretIdGrantsError';
  readonly exitCode = 2;
  constructor(action: string, config: MaasVaultConfig, check: { gaps: SecretIdGap[]; policies: string[]; rewrite: string }) {
    const names = check.gaps.map(({ name }) => name);
    const detail = check.gaps.map(({ name, paths }) => `${name} (${paths.reverse().join(', ')})`).join(', ');
    const issuerPolicy = issuerPolicyName(config);
    const added = names.length === 1 ? 'that controller was' : 'those controllers were';
    const fix = check.policies.includes(issuerPolicy)
      ? `the CI issuer policy ${issuerPolicy} predates ${names.join(', ')}: ` +
        `\`maas-vault apply\` (with the admin's token) writes it for every controller of ${config.source} not marked revoked`
      : `if it is the admin policy, it was rendered before ${added} added: re-render it and write it again: ${check.rewrite}`;
    super(`${action} refused before issuing anything (nothing was changed in Vault): the token may not issue secret IDs for ${detail}; ${fix}`);
  }
}

/** A path destroy deletes at, what it needs there, and the object in words. */
export interface DeleteProbe {
  path: string;
  capabilities: string[];
  what: string;
}

/**
 * destroy: whether the token may delete each object of the state. `undefined` when the token may
 * not ask (no default policy): the engine's own refusal then says what is missing.
 */
export async function checkDeleteGrants(
  client: VaultClient,
  config: MaasVaultConfig,
  probes: readonly DeleteProbe[],
): Promise<{ gaps: DeleteProbe[]; policies: string[]; rewrite: string } | undefined> {
  const refused = (error: unknown) => {
    if (isPermissionDenied(error)) return undefined;
    throw error;
  };
  const paths = [...new Set(probes.map(({ path }) => path))];
  const [self, answer] = await Promise.all([
    client.read<{ policies?: string[]; identity_policies?: string[] }>('auth/token/lookup-self').catch(refused),
    client.write<Record<string, string[]>>('sys/capabilities-self', { paths }).catch(refused),
  ]);
  if (!self || !answer) return undefined;
  const policies = [...new Set([...(self.data?.policies ?? []), ...(self.data?.identity_policies ?? [])])].filter((name) => name !== 'default');
  const gaps = probes.flatMap((probe) => {
    const have = answer.data?.[probe.path] ?? [];
    if (have.includes('root')) return [];
    const lacking = probe.capabilities.filter((capability) => !have.includes(capability));
    return lacking.length === 0 ? [] : [{ ...probe, capabilities: lacking }];
  });
  const profile = await client.serverProfile().catch(() => undefined);
  return { gaps, policies, rewrite: rewriteCommand(config, policies, serverCli(profile?.flavour)) };
}

/** The refusal: what the state holds that this token may not delete, and the re-render. */
export class DeleteGrantsError extends Error {
  override name = 'DeleteGrantsError';
  readonly exitCode = 2;
  constructor(action: string, config: MaasVaultConfig, check: { gaps: DeleteProbe[]; policies: string[]; rewrite: string }) {
    const listed = check.gaps.slice(0, 5).map(({ what, path, capabilities }) => `${what} (${capabilities.join(', ')} on ${path})`);
    const more = check.gaps.length > 5 ? ` and ${check.gaps.length - 5} more` : '';
    const holder = check.policies.length === 0 ? 'the token' : `the token's polic${check.policies.length === 1 ? 'y' : 'ies'} (${check.policies.join(', ')})`;
    super(
      `${action} refused before changing anything in Vault (nothing was changed): the state of site ${config.site} holds what ${holder} may not refresh or delete: ` +
        `${listed.join('; ')}${more}, so the engine would stop partway. If it is the admin policy, re-render it for ${config.source} and write it again ` +
        `(it grants deleting what an earlier config of the site created): ${check.rewrite}`,
    );
  }
}
