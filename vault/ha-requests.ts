/**
 * How maas-vault's own requests behave on a Vault HA cluster.
 *
 * Consistency: a read-enabled standby answers reads from its own copy of the data, which lags the
 * active node; measured on OpenBao 2.7.2, a read right after a write through a standby is a 404
 * most of the time. `X-Vault-Inconsistent: forward-active-node` alone does not change that: the
 * standby forwards only when it is behind the index named in `X-Vault-Index`. Naming an index no
 * node can have reached makes a standby forward every request to the active node, so maas-vault
 * reads what was just written, by itself or by the engine. The index must carry the cluster's ID.
 *
 * Leader changes: while no node is active, a standby answers 307 (to the old or the new leader)
 * or 500 "local node not active but active cluster node not found". Neither was carried out, so
 * the same request is sent again to the same address, with bounded, growing pauses.
 *
 * Conflicts: raft storage applies each request as a transaction and rejects one that raced a
 * concurrent write (500 "transaction commit failed"; measured: several of 20 concurrent secret-ID
 * writes on a 3-node cluster). A rejected transaction wrote nothing and is sent again; callers
 * that must not create a thing twice check afterwards (see credentials.ts).
 */
import { environmentValue } from '../config/environment.js';

export const UNREACHABLE_INDEX = '18446744073709551615';

export function forwardHeaders(clusterId: string): Record<string, string> {
  const index = Buffer.from(JSON.stringify({ cluster: clusterId, value: UNREACHABLE_INDEX })).toString('base64');
  return { 'x-vault-index': index, 'x-vault-inconsistent': 'forward-active-node' };
}

/** An answer that means "no active node took this request": safe to send again. */
export function isLeaderlessAnswer(status: number, errors: readonly string[]): boolean {
  if (status === 307) return true;
  return status === 500 && errors.some((message) => /local node not active but active cluster node not found|transaction commit failed/i.test(message));
}

export interface RetryPolicy {
  /** Attempts after the first one. */
  maxRetries: number;
  /** First pause; each next one doubles, up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * `VAULT_MAX_RETRIES` as the `vault` CLI reads it (0 turns retries off). The default outlasts a
 * raft election (about 2-10 s after a crash): 12 retries pausing 100 ms doubling to 2 s, ~17 s.
 */
export function retryPolicy(env: NodeJS.ProcessEnv = process.env): RetryPolicy {
  const setting = environmentValue(env, 'maxRetries');
  if (setting === undefined || setting.value.trim() === '') return { maxRetries: 12, baseDelayMs: 100, maxDelayMs: 2000 };
  const parsed = Number(setting.value);
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 100) throw new RetrySettingError(setting.variable);
  return { maxRetries: parsed, baseDelayMs: 100, maxDelayMs: 2000 };
}

/** A bad VAULT_MAX_RETRIES: usage (exit 2), found before any request. */
export class RetrySettingError extends Error {
  override name = 'RetrySettingError';
  readonly exitCode = 2;
  constructor(variable = 'VAULT_MAX_RETRIES') {
    super(`${variable} must be a whole number from 0 (no retries) to 100: fix or unset it (default 12)`);
  }
}

export function retryDelay(policy: RetryPolicy, attempt: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  // Jitter spreads the retries of many concurrent requests over the pause.
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

/** What a standby answered, in words safe for a message (no body). */
export function describeLeaderlessAnswer(status: number, location: string | undefined, errors: readonly string[]): string {
  if (status === 307) return `307 redirect to ${location ?? 'the active node'}`;
  return errors.some((message) => /transaction commit failed/i.test(message))
    ? '500 "transaction commit failed"'
    : '500 "local node not active but active cluster node not found"';
}
