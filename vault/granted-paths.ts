/**
 * Which secrets paths others hold on a KV mount, read from the ACL policies Vault holds: a policy
 * that grants on MOUNT/data/PATH... is a MAAS site (or another application) whose tokens read and
 * write there. This is the one signal that exists before any secret is written, and that no
 * key-name heuristic can give (a nested `maas/dc2/controller/1/...` looks like the owner's own
 * keys). Policy text names paths and capabilities only, never a secret.
 */
import type { VaultClient } from './client.js';
import { allInOrder } from './in-order.js';

export interface GrantedPath {
  /** The policy that grants it. */
  policy: string;
  /** What the grant covers under the mount: every key that starts with it ('' is the whole mount). */
  prefix: string;
}

/** One ACL policy as Vault holds it: its name and its text (paths and capabilities, never a secret). */
export interface PolicyText {
  name: string;
  text: string;
}

/** The grants on MOUNT/data/ in every ACL policy except `skip` (this site's own); `root` has no text. */
export async function grantedPaths(client: VaultClient, mount: string, skip: readonly string[]): Promise<GrantedPath[]> {
  return grantsOn(await readPolicies(client, skip), mount);
}

/**
 * Every ACL policy's text except `skip` and `root`: one LIST and one GET per policy. Read once and
 * given to grantsOn for each mount, not once per mount.
 */
export async function readPolicies(client: VaultClient, skip: readonly string[]): Promise<PolicyText[]> {
  const listed = await client.list('sys/policies/acl', { accept: [404] });
  const names = (listed.data?.keys ?? []).filter((name) => name !== 'root' && !skip.includes(name));
  return allInOrder(
    names.map(async (name) => {
      const response = await client.read<{ policy?: string }>(`sys/policies/acl/${encodeURIComponent(name)}`, { accept: [404] });
      return { name, text: response.data?.policy ?? '' };
    }),
  );
}

/** The grants on MOUNT/data/ in policies already read, in their order. */
export function grantsOn(policies: readonly PolicyText[], mount: string): GrantedPath[] {
  return policies.flatMap(({ name, text }) => dataPrefixes(text, mount).map((prefix) => ({ policy: name, prefix })));
}

/** The key prefixes a policy's paths cover under MOUNT/data/: up to the first glob, or the whole path. */
export function dataPrefixes(policy: string, mount: string): string[] {
  const data = `${mount}/data/`;
  const prefixes = new Set<string>();
  for (const path of policyPaths(policy)) {
    if (!path.startsWith(data)) continue;
    const rest = path.slice(data.length);
    const glob = rest.search(/[*+]/);
    prefixes.add(glob < 0 ? rest : rest.slice(0, glob));
  }
  return [...prefixes].sort();
}

function policyPaths(policy: string): string[] {
  try {
    const parsed = JSON.parse(policy) as { path?: Record<string, unknown> };
    if (parsed && typeof parsed === 'object') return Object.keys(parsed.path ?? {});
  } catch {
    // HCL, as `vault policy write` and maas-vault write it.
  }
  const uncommented = policy
    .split('\n')
    .filter((line) => !/^\s*(#|\/\/)/.test(line))
    .join('\n');
  return [...uncommented.matchAll(/path\s+"([^"]*)"/g)].map((match) => match[1]);
}

/**
 * Whether a grant covers any key under a site's secrets path (`maas/dc2/` in `maas/`, `maas/` in
 * `maas/dc2/`, or the same path): at a path-segment boundary, so `maas2` does not overlap `maas`.
 */
export function overlaps(secretsPath: string, prefix: string): boolean {
  const own = `${trimSlashes(secretsPath)}/`;
  return own.startsWith(prefix) || prefix.startsWith(own);
}

/** Whether a key (relative to the mount) is one a grant covers. */
export function covers(prefix: string, key: string): boolean {
  return key.startsWith(prefix);
}

/** A grant's path in words: `kv/maas/dc2/`, or `all of kv/`. */
export function describePrefix(mount: string, prefix: string): string {
  return prefix === '' ? `all of ${mount}/` : `${mount}/${prefix}`;
}

function trimSlashes(path: string): string {
  return path.replace(/^\/+|\/+$/g, '');
}
