/**
 * Expiring secret IDs. MAAS stores the secret_id it unwrapped and logs in with it again near every
 * token expiry, forever: it never fetches a new one. With `secretIdTtl` set, each region is locked
 * out of Vault that long after its secret ID was issued, unless `maas-vault rotate` hands it a new
 * one first; after `migrate`, MAAS then cannot read its own secrets and a region cannot start.
 */
import { formatDuration, parseDuration } from './duration.js';

/**
 * The shortest secretIdTtl, as a multiple of the wrapping TTL. The secret ID's clock starts when it
 * is issued, not when the region unwraps it: a region that unwraps at the end of its wrapTtl is left
 * with secretIdTtl - wrapTtl, and a rotation needs a full wrapTtl again for the new wrapping token
 * to reach the region while the old secret ID still logs in. Below 2 x wrapTtl there is no such window.
 */
export const SECRET_ID_TTL_FLOOR_WRAPS = 2;

/** Why `secretIdTtl` cannot be used with this wrapping TTL (`wrapKey` names where that came from), or undefined. */
export function secretIdTtlFloorProblem(secretIdTtl: string | undefined, wrapTtl: string, wrapKey = 'wrapTtl'): string | undefined {
  if (secretIdTtl === undefined) return undefined;
  const life = parseDuration(secretIdTtl);
  const wrap = parseDuration(wrapTtl);
  if (life === undefined || wrap === undefined || life >= SECRET_ID_TTL_FLOOR_WRAPS * wrap) return undefined;
  const floor = formatDuration(SECRET_ID_TTL_FLOOR_WRAPS * wrap);
  return (
    `"${secretIdTtl}" is shorter than ${SECRET_ID_TTL_FLOOR_WRAPS} x ${wrapKey} (${floor}): ` +
    'a secret ID issued now could die before its region unwraps it, or before a rotation can reach the region; ' +
    `leave secretIdTtl out (secret IDs that never expire, what MAAS expects) or make it at least ${floor}; nothing was changed`
  );
}

/** Said by every command that reads the config (once per run) while secretIdTtl is set. */
export function secretIdTtlWarning(config: { secretIdTtl?: string; source: string }): string | undefined {
  if (config.secretIdTtl === undefined) return undefined;
  return (
    `secretIdTtl is ${config.secretIdTtl} in ${config.source}: ` +
    `each region controller is locked out of Vault ${config.secretIdTtl} after its secret ID was issued ` +
    '(MAAS logs in again with the secret ID it stored and never fetches a new one), and MAAS then cannot read its secrets, so the region cannot start, ' +
    'unless `maas-vault rotate` runs, and the configure command it prints on each region, before then; `maas-vault status` shows the time left'
  );
}

/** The most warning `status` gives: a day. */
const DAY = 86_400;

/**
 * How little life left makes an expiring secret ID a problem in `status` (exit 4): a quarter of
 * secretIdTtl, but never more than a day, so a long TTL rotated on a schedule is not flagged for weeks.
 */
export function secretIdExpiryAlarm(secretIdTtlSeconds: number): number {
  return Math.min(Math.floor(secretIdTtlSeconds / 4), DAY);
}
