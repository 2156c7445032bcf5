/** What the calling token may ask Vault about itself: auth/token/lookup-self and sys/capabilities-self. */
import type { RequestOptions, VaultClient } from './client.js';

/** auth/token/lookup-self as both servers answer it, as far as maas-vault reads it. */
export interface TokenSelf {
  /** The token's own policies (`root` for a root token). */
  policies: string[];
  /** Policies from the token's identity entity and groups; left out when it has none. */
  identity_policies?: string[];
  /** Seconds; 0 for a token without a TTL. */
  creation_ttl: number;
  /** ISO 8601; null for a token without a TTL (root). */
  expire_time: string | null;
  /** Uses left; 0 for a token without a use limit. */
  num_uses: number;
}

/** Vault's default policy grants it, so a token refused here is itself no good (expired, revoked, bogus). */
export function lookupSelf(client: VaultClient, options: RequestOptions = {}) {
  return client.read<TokenSelf>('auth/token/lookup-self', options);
}

/** The calling token's capabilities on each path, keyed by path (`root` stands for every capability). */
export function capabilitiesSelf(client: VaultClient, paths: readonly string[]) {
  return client.write<Record<string, string[]>>('sys/capabilities-self', { paths });
}
