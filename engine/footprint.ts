/**
 * What a stack creates in Vault, by kind and name: read from the synthesized JSON (what apply
 * would create) or from the state (what this site already owns). Pre-flight checks compare both
 * with Vault; reading the JSON keeps them right whatever names the stack derives.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { StateResource } from './state.js';

export interface Footprint {
  /** Secrets-engine mount paths (vault_mount). */
  mounts: string[];
  /** Auth method paths (vault_auth_backend). */
  authMounts: string[];
  /** ACL policy names (vault_policy). */
  policies: string[];
  /** AppRole role names (vault_approle_auth_backend_role). */
  roles: string[];
}

const FIELDS: Record<string, [keyof Footprint, string]> = {
  vault_mount: ['mounts', 'path'],
  vault_auth_backend: ['authMounts', 'path'],
  vault_policy: ['policies', 'name'],
  vault_approle_auth_backend_role: ['roles', 'role_name'],
};

export function emptyFootprint(): Footprint {
  return { mounts: [], authMounts: [], policies: [], roles: [] };
}

export function mergeFootprints(...footprints: Footprint[]): Footprint {
  const merged = emptyFootprint();
  for (const key of Object.keys(merged) as (keyof Footprint)[]) merged[key] = [...new Set(footprints.flatMap((footprint) => footprint[key]))];
  return merged;
}

/**
 * What an apply of this work directory set out to create before it was cut off, from the marker it
 * left (`{ creates: Footprint }`); empty when there is none or it cannot be read.
 */
export function unfinishedFootprint(markerPath: string): Footprint {
  if (!existsSync(markerPath)) return emptyFootprint();
  try {
    const creates = (JSON.parse(readFileSync(markerPath, 'utf8')) as { creates?: Partial<Footprint> }).creates ?? {};
    const footprint = emptyFootprint();
    for (const key of Object.keys(footprint) as (keyof Footprint)[]) {
      footprint[key] = Array.isArray(creates[key]) ? creates[key].filter((name): name is string => typeof name === 'string') : [];
    }
    return footprint;
  } catch {
    return emptyFootprint();
  }
}

/** Mount paths as Vault lists them: no slashes at either end. */
export function trimPath(path: string): string {
  return path.replace(/^\/+|\/+$/g, '');
}

function add(footprint: Footprint, type: string, attributes: Record<string, unknown> | undefined): void {
  const field = FIELDS[type];
  const value = field ? attributes?.[field[1]] : undefined;
  // References (`${...}`) are resolved by the engine; every name this stack creates is literal.
  if (field && typeof value === 'string' && !value.includes('${'))
    footprint[field[0]].push(field[0] === 'mounts' || field[0] === 'authMounts' ? trimPath(value) : value);
}

/** What the synthesized stack at `jsonPath` creates. */
export function stackFootprint(jsonPath: string): Footprint {
  const json = JSON.parse(readFileSync(jsonPath, 'utf8')) as { resource?: Record<string, Record<string, Record<string, unknown>>> };
  const footprint = emptyFootprint();
  for (const [type, resources] of Object.entries(json.resource ?? {})) {
    for (const attributes of Object.values(resources)) add(footprint, type, attributes);
  }
  return footprint;
}

/** What these state resources (a local or remote state's) say this site owns. */
export function resourcesFootprint(resources: StateResource[]): Footprint {
  const footprint = emptyFootprint();
  for (const resource of resources) {
    for (const instance of resource.instances) add(footprint, resource.type, instance.attributes);
  }
  return footprint;
}

/**
 * What the synthesized stack at `jsonPath` imports (its `import` blocks, an adoption of a set-up
 * made by hand): objects expected to exist already, so pre-flight counts them as this site's.
 */
export function importedFootprint(jsonPath: string): Footprint {
  const json = JSON.parse(readFileSync(jsonPath, 'utf8')) as {
    resource?: Record<string, Record<string, Record<string, unknown>>>;
    import?: { to?: unknown }[];
  };
  const footprint = emptyFootprint();
  for (const block of json.import ?? []) {
    if (typeof block.to !== 'string') continue;
    const dot = block.to.indexOf('.');
    const type = block.to.slice(0, dot);
    add(footprint, type, json.resource?.[type]?.[block.to.slice(dot + 1)]);
  }
  return footprint;
}
