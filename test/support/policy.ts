/** Reads a Vault policy with a real HCL parser, so tests judge what Vault would grant, not the text. */
import { parse } from '@cdktf/hcl2json';

export interface Grant {
  path: string;
  capabilities: string[];
  minWrappingTtl?: string;
  maxWrappingTtl?: string;
}

/** The grants, sorted by path (the parser does not keep block order, and Vault does not care). */
export async function grantsOf(hcl: string): Promise<Grant[]> {
  const parsed = (await parse('policy.hcl', hcl)) as {
    path?: Record<string, Array<{ capabilities?: string[]; min_wrapping_ttl?: string; max_wrapping_ttl?: string }>>;
  };
  const keys = Object.keys(parsed).filter((key) => key !== 'path');
  if (keys.length > 0) throw new Error(`policy has blocks other than "path": ${keys.join(', ')}`);
  return Object.entries(parsed.path ?? {})
    .flatMap(([path, blocks]) =>
      blocks.map((block) => ({
        path,
        capabilities: block.capabilities ?? [],
        ...(block.min_wrapping_ttl ? { minWrappingTtl: block.min_wrapping_ttl } : {}),
        ...(block.max_wrapping_ttl ? { maxWrappingTtl: block.max_wrapping_ttl } : {}),
      })),
    )
    .sort(byPath);
}

export function byPath(a: Grant, b: Grant): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

/**
 * The grants outside `MOUNT/data/PATH/` and `MOUNT/metadata/PATH/` (and lookup-self when allowed).
 * The literal prefix must be exact and free of wildcards, so nothing can widen it.
 */
export function grantsOutside(grants: Grant[], mount: string, secretsPath: string, allowLookupSelf = false): Grant[] {
  const roots = [`${mount}/data/${secretsPath}/`, `${mount}/metadata/${secretsPath}/`];
  return grants.filter((grant) => {
    if (allowLookupSelf && grant.path === 'auth/token/lookup-self') return false;
    const root = roots.find((prefix) => grant.path.startsWith(prefix));
    if (!root) return true;
    const rest = grant.path.slice(root.length);
    return /[*+]/.test(root) || !(rest === '' || rest === '*');
  });
}
