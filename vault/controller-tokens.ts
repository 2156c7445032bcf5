/**
 * Ends the live tokens of given AppRole roles, and only those: every token accessor is looked
 * up, and a token is revoked only when it came from auth/approle/login with one of the roles in
 * its login metadata. A prefix revoke of auth/approle/login would end every site's controllers.
 */
import type { VaultClient } from './client.js';
import { isPermissionDenied } from './errors.js';

export interface EndedTokens {
  /** Accessors looked up. */
  examined: number;
  /** Tokens revoked, per role. */
  ended: Record<string, number>;
}

/** What the token may not do; the caller says what to run instead. */
export class TokenSweepRefused extends Error {
  override name = 'TokenSweepRefused';
  constructor(
    readonly path: string,
    readonly capability: string,
  ) {
    super(`the token may not ${capability} ${path}`);
  }
}

const LOGIN_PATH = 'auth/approle/login';
/** Lookups at once: enough to finish a Vault with thousands of tokens in seconds, few enough to be polite. */
const CONCURRENCY = 16;

interface AccessorLookup {
  path?: string;
  meta?: Record<string, string> | null;
}

export async function endRoleTokens(client: VaultClient, roles: readonly string[]): Promise<EndedTokens> {
  const wanted = new Set(roles);
  const ended: Record<string, number> = Object.fromEntries(roles.map((role) => [role, 0]));
  const accessors = await refusable('auth/token/accessors', 'list (with sudo)', () => client.list('auth/token/accessors'));
  const keys = accessors.data?.keys ?? [];
  let next = 0;
  const worker = async () => {
    while (next < keys.length) {
      const accessor = keys[next++];
      // A token may expire between the list and the lookup: Vault then answers 400, and there is nothing to end.
      const found = await refusable('auth/token/lookup-accessor', 'update', () =>
        client.write<AccessorLookup>('auth/token/lookup-accessor', { accessor }, { accept: [400, 404] }),
      );
      const role = found.data?.meta?.role_name;
      if (found.status >= 400 || found.data?.path !== LOGIN_PATH || role === undefined || !wanted.has(role)) continue;
      await refusable('auth/token/revoke-accessor', 'update', () => client.write('auth/token/revoke-accessor', { accessor }, { accept: [400] }));
      ended[role] += 1;
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, keys.length) }, worker));
  return { examined: keys.length, ended };
}

async function refusable<T>(path: string, capability: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isPermissionDenied(error)) throw new TokenSweepRefused(path, capability);
    throw error;
  }
}
