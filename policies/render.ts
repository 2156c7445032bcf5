/**
 * Renders the HCL policies from the templates beside this file. Values are checked again here,
 * not only in the config schema, because a policy is the one place where a bad string becomes
 * a privilege.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../config/package-root.js';
import { vaultPathProblem } from '../config/rules.js';

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

export interface AdminPolicyOptions {
  site: string;
  mount: string;
  policy: string;
  issuerPolicy: string;
  /** Roles adopted under names of their own, outside the site's prefix: granted one by one. */
  adoptedRoles?: readonly string[];
}

/**
 * What the token that applies the stack needs. Role paths use the `maas-<site>-` prefix glob: the
 * admin creates and deletes roles by name, so the exact list is not known in advance.
 */
export function renderAdminPolicy(options: AdminPolicyOptions): string {
  const problem = vaultPathProblem(options.mount, 'mount');
  if (problem) throw new Error(`KV mount "${options.mount}" ${problem}`);
  const rolePrefix = `maas-${options.site}-`;
  const adopted = (options.adoptedRoles ?? []).filter((role) => !role.startsWith(rolePrefix));
  for (const role of adopted) {
    if (!/^[a-z0-9_][a-z0-9_.-]*$/.test(role)) throw new Error(`role name "${role}" cannot go into a policy path`);
  }
  const adoptedBlocks = adopted.map((role) => fillTemplate(template('admin-adopted-role'), { role }));
  return fillTemplate(template('admin'), {
    site: options.site,
    mount: options.mount,
    policy: options.policy,
    issuerPolicy: options.issuerPolicy,
    rolePrefix,
  }) + adoptedBlocks.join('');
}
