/**
 * Comparing what Vault answers with the desired site (site/site.ts), the way the engine's plan
 * does: after Vault's own normalization (token CIDRs lose their /32 and /128, lists come back in
 * any order), and with a field the config leaves out expected at its zero value, since the
 * provider plans such a field back to zero. Pure functions over Vault's answers: `status` and
 * adoption read Vault, these say what differs.
 */
import { isIP } from 'node:net';
import { ROLE_FIELDS, ROLE_SETTINGS, type RoleField, type RoleFields } from './role-settings.js';
import type { DesiredApprole, DesiredKv, DesiredPolicy, DesiredRole, DesiredSecretId } from './site.js';

/** `127.0.0.1` -> `127.0.0.1/32`, `::1` -> `::1/128`: how the provider reads token_bound_cidrs back. */
export function normalizeTokenCidr(value: string): string {
  if (value.includes('/')) return value;
  const family = isIP(value);
  return family === 4 ? `${value}/32` : family === 6 ? `${value}/128` : value;
}

export function sortedSet(values: readonly string[] | null | undefined): string[] {
  return [...new Set(values ?? [])].sort();
}

export interface FieldDifference {
  field: string;
  actual: unknown;
  expected: unknown;
}

/** One difference per field whose (normalized) values differ. */
export function differences(fields: readonly [field: string, actual: unknown, expected: unknown][]): FieldDifference[] {
  return fields
    .filter(([, actual, expected]) => JSON.stringify(actual) !== JSON.stringify(expected))
    .map(([field, actual, expected]) => ({ field, actual, expected }));
}

/** The first line where two policy texts part, for a short hint (policy text holds no secrets). */
export function firstDifferentLine(actual: string, expected: string): string {
  const have = actual.split('\n');
  const want = expected.split('\n');
  for (let index = 0; index < Math.max(have.length, want.length); index++) {
    if (have[index] !== want[index]) {
      const show = (line: string | undefined) => (line === undefined ? '(end of text)' : JSON.stringify(line.length > 60 ? `${line.slice(0, 57)}...` : line));
      return `line ${index + 1} is ${show(have[index])}, expected ${show(want[index])}`;
    }
  }
  return 'the texts differ';
}

/**
 * A role as both servers answer `auth/approle/role/NAME` (vault/approle.ts readRole): the managed
 * fields, null or left out where unset (older servers name token_policies `policies`), and
 * local_secret_ids, which the site does not manage.
 */
export type LiveRole = { [F in RoleField]?: RoleFields[F] | null } & { policies?: string[] | null; local_secret_ids?: boolean };

/** How a field's value is compared: lists as sorted sets, token CIDRs as the provider reads them back. */
function comparable(field: RoleField, value: unknown): unknown {
  if (!Array.isArray(value)) return value;
  return sortedSet(field === 'token_bound_cidrs' ? (value as string[]).map(normalizeTokenCidr) : (value as string[]));
}

/** A live role's managed fields, normalized for comparison; a field Vault leaves out counts as its default. */
export function liveRoleFields(live: LiveRole): RoleFields {
  const value = (field: RoleField) => (field === 'token_policies' ? (live.token_policies ?? live.policies) : live[field]) ?? ROLE_SETTINGS[field].absent;
  return Object.fromEntries(ROLE_FIELDS.map((field) => [field, comparable(field, value(field))])) as unknown as RoleFields;
}

/** Each managed setting of a live role that differs from its description, in the table's order. */
export function roleDrift(role: Pick<DesiredRole, 'settings'>, live: LiveRole): FieldDifference[] {
  const actual = liveRoleFields(live);
  return differences(ROLE_FIELDS.map((field) => [field, actual[field], comparable(field, role.settings[field])]));
}

/**
 * A secrets engine (`sys/mounts`) or auth method (`sys/auth`) as both servers list it, as far as
 * maas-vault reads it (vault/mounts.ts reads it).
 */
export interface MountEntry {
  type: string;
  description: string;
  local: boolean;
  /** Auth methods: what identity aliases name the mount by (identity/lookup/entity). */
  accessor?: string;
  external_entropy_access?: boolean;
  /** KV: `{ version: '2' }`; null on mounts without options. */
  options: Record<string, string> | null;
  config?: { listing_visibility?: string; passthrough_request_headers?: string[]; allowed_response_headers?: string[] };
}

/** The settings of the site's own approle mount that the stack writes (or the provider plans back). */
export function approleMountDrift(approle: DesiredApprole, live: Pick<MountEntry, 'type' | 'description' | 'local'>): FieldDifference[] {
  return differences([
    ['description', live.description, approle.description],
    ['local', live.local, false],
  ]);
}

/** The settings of the site's own KV mount that the stack writes (or the provider plans back). */
export function kvMountDrift(kv: DesiredKv, live: MountEntry): FieldDifference[] {
  return differences([
    ['description', live.description, kv.description],
    ['options', live.options, kv.options],
    ['local', live.local, false],
    ['external_entropy_access', live.external_entropy_access ?? false, false],
    ['listing_visibility', live.config?.listing_visibility ?? '', ''],
    ['passthrough_request_headers', sortedSet(live.config?.passthrough_request_headers), []],
    ['allowed_response_headers', sortedSet(live.config?.allowed_response_headers), []],
  ]);
}

/** A KV-v2 mount's `MOUNT/config` as both servers answer it (vault/mounts.ts readKvConfig). */
export interface LiveKvSettings {
  cas_required: boolean;
  max_versions: number;
  /** A duration string, `0s` when versions are kept forever. */
  delete_version_after?: string;
}

/**
 * The KV settings beside cas_required (which callers name on its own: every MAAS write fails
 * with it): delete_version_after on the site's own mount, max_versions where the config names it.
 * An adopted mount is shared: the stack writes only cas_required and a configured max_versions.
 */
export function kvSettingsDrift(kv: DesiredKv, live: LiveKvSettings): FieldDifference[] {
  const fields: [string, unknown, unknown][] = kv.adopt ? [] : [['delete_version_after', durationSeconds(live.delete_version_after), 0]];
  // Without kv.maxVersions the provider leaves max_versions alone (it is "computed").
  if (kv.settings.max_versions !== undefined) fields.push(['max_versions', live.max_versions, kv.settings.max_versions]);
  return differences(fields);
}

/** Vault's `1h2m3s` / `0s` duration strings, in seconds. */
export function durationSeconds(text: string | undefined): number {
  if (!text) return 0;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+(?:\.\d+)?)(h|m|s|ms)/g)) {
    total += Number(amount) * (unit === 'h' ? 3600 : unit === 'm' ? 60 : unit === 's' ? 1 : 0.001);
  }
  return total;
}

/**
 * How a live policy's text differs from its description: not at all; in layout only (comments,
 * spacing: the same grants); or in what it grants. The provider compares the text exactly as Vault
 * stores it, so either difference is one the plan would write back. `where`: the first line that parts.
 */
export type PolicyDifference = { kind: 'same' } | { kind: 'layout' | 'grants'; where: string };

export function policyDifference(policy: Pick<DesiredPolicy, 'text'>, live: string): PolicyDifference {
  if (live === policy.text) return { kind: 'same' };
  return { kind: policyGrants(live) === policyGrants(policy.text) ? 'layout' : 'grants', where: firstDifferentLine(live, policy.text) };
}

/** A policy without comments and blank space, to tell layout from grants. */
function policyGrants(text: string): string {
  return text
    .split('\n')
    .map((line) => line.replace(/#.*$/, '').replace(/\s+/g, ''))
    .filter((line) => line !== '')
    .join('\n');
}

/** A secret ID the stack issued, as its state records it (metadata as the JSON text it was written with). */
export interface IssuedSecretId {
  metadata: string;
  wrappingTtl: string;
}

/**
 * The ways a secret ID the stack issued differs from the one the site describes; each one makes
 * the plan issue a new one. `metadata` compares keys in any order; unreadable metadata is a difference.
 */
export function secretIdDrift(desired: DesiredSecretId, issued: IssuedSecretId): FieldDifference[] {
  const metadata = parseMetadata(issued.metadata);
  const sorted = (value: Record<string, unknown> | undefined) => Object.entries(value ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return [
    ...(JSON.stringify(sorted(metadata)) === JSON.stringify(sorted(desired.metadata))
      ? []
      : [{ field: 'metadata', actual: metadata, expected: desired.metadata }]),
    ...differences([['wrapping_ttl', issued.wrappingTtl, desired.wrapTtl]]),
  ];
}

function parseMetadata(text: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
