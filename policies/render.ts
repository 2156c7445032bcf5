/**
 * Renders the HCL policies from the templates beside this file. Values are checked again here,
 * not only in the config schema, because a policy is the one place where a bad string becomes
 * a privilege.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../config/package-root.js';
import { TTL_LIMITS, vaultPathProblem } from '../config/rules.js';
import { formatDuration } from '../config/duration.js';
import { adoptedRoles, defaultPolicyName, issuerPolicyName, issuerRoleName, legacyNames, roleName, siteRolePrefix } from '../config/naming.js';
import type { MaasVaultConfig } from '../config/load.js';

export type MaasPolicyProfile = 'documented' | 'strict';

export interface MaasPolicyOptions {
  /** KV-v2 mount, e.g. `secret` or `kv-maas`. */
  mount: string;
  /** Secrets path under the mount, e.g. `maas` or `maas/site-a`. */
  path: string;
  profile: MaasPolicyProfile;
  /** Also grant `auth/token/lookup-self` (for roles without Vault's `default` policy). */
  lookupSelf?: boolean;
}

const templates = new Map<string, string>();

function template(name: string): string {
  let text = templates.get(name);
  if (text === undefined) {
    text = readFileSync(join(packageRoot(), 'policies', `${name}.hcl`), 'utf8');
    templates.set(name, text);
  }
  return text;
}

/** Fills `{{name}}` placeholders; an unknown placeholder is a bug in a template, not user input. */
export function fillTemplate(text: string, values: Record<string, string>): string {
  return text.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`internal: policy template needs a value for {{${key}}}`);
    return value;
  });
}

export function renderMaasPolicy(options: MaasPolicyOptions): string {
  const mountProblem = vaultPathProblem(options.mount, 'mount');
  if (mountProblem) throw new Error(`KV mount "${options.mount}" ${mountProblem}`);
  const pathProblem = vaultPathProblem(options.path, 'path');
  if (pathProblem) throw new Error(`secrets path "${options.path}" ${pathProblem}`);
  const body = fillTemplate(template(`maas-${options.profile}`), { mount: options.mount, path: options.path });
  return options.lookupSelf ? body + template('token-lookup-self') : body;
}

export interface IssuerPolicyOptions {
  site: string;
  /** The region controllers' AppRole role names, each granted explicitly. */
  roles: readonly string[];
  /** Longest wrapping TTL CI may ask for, as Vault writes it. */
  maxWrapTtl: string;
}

/** Least privilege for CI: wrapped secret IDs for exactly these roles, and their accessors. */
export function renderIssuerPolicy(options: IssuerPolicyOptions): string {
  for (const role of options.roles) {
    if (!/^[a-z0-9_][a-z0-9_.-]*$/.test(role)) throw new Error(`role name "${role}" cannot go into a policy path`);
  }
  const blocks = options.roles.map((role) => fillTemplate(template('issuer-role'), { role, maxWrapTtl: options.maxWrapTtl }));
  return fillTemplate(template('issuer-header'), { site: options.site }) + blocks.join('');
}

/** The MAAS policy of a site, as the stack writes it. */
export function maasPolicyFor(config: MaasVaultConfig): string {
  return renderMaasPolicy({ mount: config.kv.mount, path: config.secretsPath, profile: config.policy.profile, lookupSelf: config.policy.lookupSelf });
}

/** The CI issuer's policy of a site: every controller not revoked in the config. */
export function issuerPolicyFor(
  config: MaasVaultConfig,
  roles: readonly string[] = config.controllers.filter((c) => !c.revoked).map((c) => roleName(config, c.name)),
): string {
  return renderIssuerPolicy({ site: config.site, roles, maxWrapTtl: formatDuration(TTL_LIMITS.wrap.max) });
}

/** A string for an HCL policy, escaped as JSON escapes it (HCL reads the same escapes). */
function hclString(text: string): string {
  if (text.includes('${') || text.includes('%{')) throw new Error('internal: a policy text with template syntax cannot be pinned');
  return JSON.stringify(text);
}

/**
 * What the token that applies the stack needs, and no way to widen it: the site's policies may
 * be written only with the exact text rendered here, and roles only with those policies (see
 * admin.hcl). Role paths use the `maas_<site>_` prefix glob, since the admin adds and removes
 * controllers by name; no other site's role can match it.
 */
export function renderAdminPolicy(config: MaasVaultConfig): string {
  const problem = vaultPathProblem(config.kv.mount, 'mount');
  if (problem) throw new Error(`KV mount "${config.kv.mount}" ${problem}`);
  // The role settings the admin token may write: exactly what site/role-settings.ts decides
  // (test/site/role-settings.test.ts holds the two together).
  const roleParameters = template('admin-role-parameters');
  const values = {
    site: config.site,
    mount: config.kv.mount,
    secretsPath: config.secretsPath,
    policy: config.policy.name,
    policyText: hclString(maasPolicyFor(config)),
    rolePrefix: siteRolePrefix(config),
    roleParameters,
  };
  const issuer = config.issuer.enabled
    ? fillTemplate(template('admin-issuer'), {
        issuerPolicy: issuerPolicyName(config),
        issuerPolicyText: hclString(issuerPolicyFor(config)),
        issuerRole: issuerRoleName(config),
        roleParameters,
      })
    : '';
  return (
    fillTemplate(template('admin'), {
      ...values,
      approle: template(config.approle.adopt ? 'admin-approle-adopted' : 'admin-approle-managed'),
      kv: config.kv.adopt ? '' : fillTemplate(template('admin-kv-managed'), { mount: config.kv.mount, secretsPath: config.secretsPath }),
      issuerPolicy: issuer,
    }) +
    leftoverBlocks(config) +
    adoptedRoleBlocks(config, roleParameters) +
    (config.keepLegacyNames ? legacyAdminBlocks(config, roleParameters) : '') +
    renderedForBlock(config)
  );
}

/**
 * Read and delete on this site's own names the config no longer uses (admin-leftovers.hcl). Never
 * a second block on a path the policy already pins: Vault merges the blocks of one path, and an
 * unpinned one would undo the pin.
 */
function leftoverBlocks(config: MaasVaultConfig): string {
  const policyBase = defaultPolicyName(config);
  const exact = [
    ...(config.issuer.enabled ? [] : [template('admin-leftover-issuer')]),
    ...(config.policy.name === policyBase ? [] : [`path "sys/policies/acl/{{policyBase}}" {\n  capabilities = ["read", "delete"]\n}\n`]),
  ];
  const values = { site: config.site, policyBase, issuerPolicy: issuerPolicyName(config), issuerRole: issuerRoleName(config) };
  return fillTemplate(template('admin-leftovers'), { ...values, leftovers: fillTemplate(exact.join(''), values) });
}

/**
 * The paths this maas-vault grants that an admin policy rendered by the one before it lacks for
 * the same config (the leftovers above, and reading every role's settings for the destroy guard):
 * the check before apply tells such a policy apart, as needing one re-render after the upgrade.
 */
export function pathsAddedSincePreviousRelease(config: MaasVaultConfig): string[] {
  return [...leftoverBlocks(config).matchAll(/^path "([^"]+)"/gm)].map(([, path]) => path).concat('auth/approle/role/+');
}

/** Where the markers of what an admin policy was rendered for live: a sys/ path no server serves. */
export const RENDERED_FOR_PREFIX = 'sys/rendered-admin-policy/';

/**
 * One path per policy text the admin policy pins, named by the text's hash. `sys/capabilities-self`
 * sees paths and capabilities but not allowed_parameters, so these let maas-vault tell, before apply,
 * whether the token's admin policy pins the texts this config renders (vault/admin-policy-check.ts).
 * No server serves these paths (nothing can be mounted under sys/): they grant nothing.
 */
export function renderedForMarkers(config: MaasVaultConfig): { path: string; policy: string }[] {
  const texts = [{ policy: config.policy.name, text: maasPolicyFor(config) }];
  if (config.issuer.enabled) texts.push({ policy: issuerPolicyName(config), text: issuerPolicyFor(config) });
  if (config.issuer.enabled && config.keepLegacyNames) {
    const roles = config.controllers.filter((controller) => !controller.revoked).map((controller) => legacyNames.role(config, controller.name));
    texts.push({ policy: legacyNames.issuerPolicy(config), text: issuerPolicyFor(config, roles) });
  }
  return texts.map(({ policy, text }) => ({
    policy,
    path: `${RENDERED_FOR_PREFIX}${config.site}/${createHash('sha256').update(text).digest('hex').slice(0, 16)}`,
  }));
}

function renderedForBlock(config: MaasVaultConfig): string {
  const blocks = renderedForMarkers(config).map(({ path }) => `path "${path}" {\n  capabilities = ["read"]\n}\n`);
  const comment = [
    "# What this policy was rendered for (a hash per pinned policy text), for maas-vault's check before",
    '# apply. No server serves these paths: they grant nothing.',
  ];
  return `\n${comment.join('\n')}\n${blocks.join('')}`;
}

/** The admin policy's paths and capabilities, read back from its rendered text (the one source of both). */
export function adminPolicyGrants(config: MaasVaultConfig): { path: string; capabilities: string[] }[] {
  return [...renderAdminPolicy(config).matchAll(/^path "([^"]+)" \{\n\s*capabilities\s*=\s*\[([^\]]*)\]/gm)].map(([, path, list]) => ({
    path,
    capabilities: [...list.matchAll(/"(\w+)"/g)].map(([, capability]) => capability),
  }));
}

/**
 * Roles adopted under names of their own (`controllers[].role`) that the site's glob does not
 * cover: each by exact path, with the same pinned parameters, so adopting a role never widens
 * the admin token beyond that role. (The config refuses names in another site's namespace.)
 */
function adoptedRoleBlocks(config: MaasVaultConfig, roleParameters: string): string {
  const prefix = siteRolePrefix(config);
  return [...adoptedRoles(config)]
    .filter(([, role]) => !role.startsWith(prefix))
    .map(([controller, role]) => {
      if (!/^[a-z0-9_][a-z0-9_.-]*$/.test(role)) throw new Error(`role name "${role}" cannot go into a policy path`);
      const values = { role, controller, site: config.site, policy: config.policy.name, roleParameters };
      // Granted by exact path like a legacy role, with a comment saying why it sits outside the glob.
      return fillTemplate(template('admin-adopted-role'), values) + fillTemplate(template('admin-exact-role'), values);
    })
    .join('');
}

/**
 * During the name migration (keepLegacyNames) the old roles and policies are still the stack's,
 * to refresh and finally destroy. They are granted one by one: a glob on the old `maas-<site>-`
 * prefix would also match other sites' old roles.
 */
function legacyAdminBlocks(config: MaasVaultConfig, roleParameters: string): string {
  const policy = legacyNames.policy(config);
  const blocks = [
    '\n# Migration from the old names (keepLegacyNames): the old policy and roles, one by one, until they are destroyed.',
    fillTemplate(template('admin-legacy-policy'), { policy, policyText: hclString(maasPolicyFor(config)) }),
    ...config.controllers.map((controller) =>
      fillTemplate(template('admin-exact-role'), { role: legacyNames.role(config, controller.name), policy, roleParameters }),
    ),
  ];
  if (config.issuer.enabled) {
    const issuerPolicy = legacyNames.issuerPolicy(config);
    const roles = config.controllers.filter((controller) => !controller.revoked).map((controller) => legacyNames.role(config, controller.name));
    blocks.push(fillTemplate(template('admin-legacy-policy'), { policy: issuerPolicy, policyText: hclString(issuerPolicyFor(config, roles)) }));
    blocks.push(fillTemplate(template('admin-exact-role'), { role: legacyNames.issuerRole(config), policy: issuerPolicy, roleParameters }));
  }
  return blocks.join('\n');
}
