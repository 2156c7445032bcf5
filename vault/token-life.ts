/**
 * A token that stops working partway through a command (its TTL ran out, someone revoked it, or
 * its use limit was reached) gets the same 403 "permission denied" from Vault as a missing policy.
 * Told apart afterwards: Vault then refuses even auth/token/lookup-self. What the token's
 * lookup said at the start (expiry, uses left) names which of the three it was.
 */
import type { VaultClient } from './client.js';
import { isPermissionDenied, isServerUnavailable, isTokenRefused, isVaultApiError, VaultError } from './errors.js';
import { cliCommand, type ServerFlavour } from './server-flavour.js';
import { lookupSelf } from './token-self.js';

export interface TokenLife {
  /**
   * False when Vault refused the lookup at the start: the token was bad all along, or may not
   * look itself up (no default policy). Its later refusals are then left as they are.
   */
  known: boolean;
  /** When the token expires; undefined for a token without a TTL (root, or a periodic one renewed). */
  expiresAt?: Date;
  /** Uses left after the lookup itself; undefined for a token without a use limit. */
  usesLeft?: number;
}

/** The token's expiry and use limit as the command begins; undefined when Vault could not be asked (unreachable, sealed). */
export async function readTokenLife(client: VaultClient): Promise<TokenLife | undefined> {
  try {
    const answer = await lookupSelf(client);
    const expireTime = answer.data?.expire_time;
    const uses = answer.data?.num_uses;
    return { known: true, expiresAt: expireTime ? new Date(expireTime) : undefined, usesLeft: uses && uses > 0 ? uses : undefined };
  } catch (error) {
    // A Vault that cannot answer at all stops the command here, before anything is recorded or sent.
    if (isServerUnavailable(error)) throw error;
    return isPermissionDenied(error) ? { known: false } : undefined;
  }
}

/**
 * Why Vault no longer takes the token, when `error` came from that and not from a policy:
 * undefined when the token still works (the error is what it says), or when Vault cannot be asked.
 */
export async function tokenEndedReason(client: VaultClient, life: TokenLife | undefined, error: unknown): Promise<string | undefined> {
  if (life?.known === false) return undefined;
  // Refusals, and what a use-limited token's last request may get instead (OpenBao answers 500
  // "internal error" when the token is used up during the request); the probe below decides.
  if (!isPermissionDenied(error) && !isTokenRefused(error) && !isVaultApiError(error)) return undefined;
  const gone = await lookupSelf(client).then(
    () => false,
    (probe: unknown) => isPermissionDenied(probe),
  );
  if (!gone) return undefined;
  if (life?.expiresAt && Date.now() >= life.expiresAt.getTime()) return `it expired at ${life.expiresAt.toISOString()}`;
  if (life?.usesLeft !== undefined) return `it ran out of uses (it had ${life.usesLeft} left when this command began)`;
  if (life) return 'it was revoked while this command ran';
  // Vault could not be asked at the start (it came up, or was unsealed, meanwhile).
  return 'it expired, was revoked or ran out of uses while this command ran';
}

/** The token stopped working partway: what was done and what not, per controller. `flavour`: the server's, when it said. */
export class VaultTokenEndedError extends VaultError {
  override name = 'VaultTokenEndedError';
  constructor(address: string, reason: string, account: string, flavour: ServerFlavour | undefined) {
    super(
      `Vault at ${address} stopped accepting the token partway through this command: ${reason}. ${account} ` +
        `Export a fresh token (VAULT_TOKEN or ${cliCommand(flavour, 'login')}) and run the command again for what was not done`,
    );
  }
}

/** "a, b and 3 more" is not enough here: the admin runs the next command from this list. */
export function namesOrNone(names: readonly string[]): string {
  return names.length === 0 ? 'none' : names.join(', ');
}
