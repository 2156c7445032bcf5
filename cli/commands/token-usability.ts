/** Whether the wrapping tokens in the state can still be unwrapped: asked of Vault, never unwrapped. */
import type { VaultClient } from '../../vault/client.js';
import { lookupWrappingToken } from '../../vault/approle.js';
import { isWrappingTokenInvalid } from '../../vault/errors.js';
import type { AppliedController } from './stack-outputs.js';

/**
 * Per controller: true (unused, unexpired), false (spent or expired), undefined (no token, or
 * Vault could not be asked). Tokens in `fresh` were issued just now and are not asked about.
 */
export async function wrappingTokenUsability(
  client: VaultClient,
  controllers: readonly AppliedController[],
  fresh: ReadonlySet<string> = new Set(),
): Promise<{ usable: (boolean | undefined)[]; problem?: Error }> {
  let problem: Error | undefined;
  const usable = await Promise.all(
    controllers.map(async (controller) => {
      if (!controller.wrappedToken) return undefined;
      if (fresh.has(controller.wrappedToken)) return true;
      try {
        await lookupWrappingToken(client, controller.wrappedToken);
        return true;
      } catch (error) {
        if (isWrappingTokenInvalid(error)) return false;
        problem ??= error as Error;
        return undefined;
      }
    }),
  );
  return { usable, problem };
}
