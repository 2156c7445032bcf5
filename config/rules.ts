/**
 * The naming rules shared by the config schema and the CLI arguments. Each returns the reason a
 * value is refused, or undefined when it is allowed, so the caller can put the field name in
 * front of the reason.
 */
import { isIP } from 'node:net';
import { isDurationSyntax, parseDuration } from './duration.js';

/** Vault paths this tool must never write a policy or mount under. */
const RESERVED_MOUNTS = new Set(['sys', 'auth', 'cubbyhole', 'identity', 'token']);

/**
 * A KV mount or secrets path. It is pasted into policy paths, so anything that could widen a
 * grant (wildcards, `..`, an empty path) or break out of an HCL string (quotes, newlines) is out.
 */
export function vaultPathProblem(value: string, what: 'mount' | 'path'): string | undefined {
  if (value.length === 0) {
    return what === 'path' ? 'must not be empty: an empty secrets path would grant the whole mount' : 'must not be empty';
  }
  if (value.length > 128) return 'must be at most 128 characters';
  if (value.startsWith('/') || value.endsWith('/')) return `must not start or end with '/' (write "${value.replace(/^\/+|\/+$/g, '')}")`;
  if (value.includes('..')) return "must not contain '..'";
  if (/[*+]/.test(value)) return "must not contain '*' or '+': they are wildcards in Vault policies";
  if (value.includes('//')) return "must not contain an empty segment ('//')";
  if (!/^[A-Za-z0-9_.\-/]+$/.test(value)) {
    return "may contain only letters, digits, '-', '_', '.' and '/' between segments (no spaces, quotes or newlines)";
  }
  if (value.split('/').some((segment) => segment.startsWith('.') || segment.endsWith('.'))) {
    return "must not have a segment that starts or ends with '.'";
  }
  if (what === 'mount' && RESERVED_MOUNTS.has(value.split('/')[0].toLowerCase())) {
    return `must not be under '${value.split('/')[0]}/', which Vault reserves`;
  }
  return undefined;
}

const HOSTNAME_LABEL = '[a-z0-9](?:[a-z0-9-]*[a-z0-9])?';
const CONTROLLER_NAME = new RegExp(`^${HOSTNAME_LABEL}(?:\\.${HOSTNAME_LABEL})*$`);

/**
 * A region controller's name becomes part of an AppRole role name and of a URL path, so it is
 * held to hostname rules: lowercase (AppRole role names are case-insensitive, so `Region1` and
 * `region1` would be one role), no '/' that could reach another role's path.
 */
export function controllerNameProblem(value: string): string | undefined {
  if (value.length === 0) return 'must not be empty';
  if (value.length > 63) return 'must be at most 63 characters';
  if (!CONTROLLER_NAME.test(value)) {
    return "must be a hostname: lowercase letters, digits and '-', in labels separated by '.', starting and ending with a letter or digit";
  }
  return undefined;
}

/**
 * An AppRole role that already exists (adoption). Vault accepts word characters, '-' and '.', and
 * compares role names case-insensitively, so a name is written in lowercase as Vault lists it.
 */
export function roleNameProblem(value: string): string | undefined {
  if (value.length === 0) return 'must not be empty';
  if (value.length > 128) return 'must be at most 128 characters';
  if (!/^[a-z0-9_](?:[a-z0-9_.-]*[a-z0-9_])?$/.test(value)) {
    return "must be an AppRole role name as Vault lists it: lowercase letters, digits, '_', '-' and '.', starting and ending with a letter, digit or '_'";
  }
  return undefined;
}

/** The site names the stack, the policy and every role, so it is one short DNS label. */
export function siteNameProblem(value: string): string | undefined {
  if (value.length === 0) return 'must not be empty';
  if (!/^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/.test(value)) {
    return "must be 1-32 lowercase letters, digits or '-', starting and ending with a letter or digit";
  }
  return undefined;
}

/** A Vault ACL policy name; `root` and `default` are Vault's own. */
export function policyNameProblem(value: string): string | undefined {
  if (value.length === 0) return 'must not be empty';
  if (!/^[a-z0-9](?:[a-z0-9_-]{0,62}[a-z0-9])?$/.test(value)) {
    return "must be 1-64 lowercase letters, digits, '-' or '_', starting and ending with a letter or digit";
  }
  if (value === 'root' || value === 'default') return `must not be '${value}', which is Vault's built-in policy`;
  return undefined;
}

export function cidrProblem(value: string): string | undefined {
  const [address, prefix, ...rest] = value.split('/');
  const family = isIP(address ?? '');
  if (rest.length > 0 || prefix === undefined || family === 0 || !/^\d{1,3}$/.test(prefix)) {
    return `"${printable(value)}" is not a CIDR block: write an address and a prefix length, e.g. 10.0.0.5/32 or fd00::/64`;
  }
  const max = family === 4 ? 32 : 128;
  if (Number(prefix) > max) return `"${printable(value)}" has a prefix length over ${max}`;
  return undefined;
}

/** Limits on TTLs, in seconds, so that a typo (or an overflow attempt) cannot mint a near-eternal credential. */
export const TTL_LIMITS = {
  role: { min: 1, max: 8760 * 3600, text: 'between 1s and 8760h (one year)' },
  wrap: { min: 1, max: 24 * 3600, text: 'between 1s and 24h' },
} as const;

export function durationProblem(value: string, limits: (typeof TTL_LIMITS)[keyof typeof TTL_LIMITS]): string | undefined {
  if (!isDurationSyntax(value)) {
    return `"${printable(value)}" is not a duration: write a whole number with a unit, e.g. 30s, 5m, 1h30m, 7d`;
  }
  const seconds = parseDuration(value);
  if (seconds === undefined || seconds < limits.min || seconds > limits.max) return `"${printable(value)}" is out of range: must be ${limits.text}`;
  return undefined;
}

/**
 * A short, single-line rendering of a user value for an error message. A value that could be a
 * pasted credential (a token prefix such as `hvs.` or `s.`, a UUID like a secret_id, or anything
 * long) is described, never repeated.
 */
export function printable(value: string): string {
  const flat = JSON.stringify(value).slice(1, -1);
  const tokenLike = /^(hv[sbr]|[sbr])\./.test(value) || /[0-9a-f]{8}-[0-9a-f]{4}-/i.test(value);
  return tokenLike || flat.length > 40 ? `(a value of ${value.length} characters, not repeated here)` : flat;
}
