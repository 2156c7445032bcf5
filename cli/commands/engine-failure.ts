/**
 * When the engine fails, Vault going away is the likeliest cause worth naming: the engine's own
 * story is long and provider-specific. Half-applied state is safe: the next apply converges.
 */
import type { VaultClient } from '../../vault/client.js';
import { serverInfo } from '../../vault/status.js';
import { VaultError, VaultSealedError } from '../../vault/errors.js';

export async function explainEngineFailure(error: unknown, client: VaultClient | undefined, action: string): Promise<unknown> {
  // By name: importing EngineError would load execa into every command's start-up.
  if ((error as Error | undefined)?.name !== 'EngineError' || !client) return error;
  let cause: VaultError | undefined;
  try {
    const server = await serverInfo(client);
    if (server.sealed) cause = new VaultSealedError(client.address);
  } catch (probe) {
    if (probe instanceof VaultError) cause = probe;
  }
  if (!cause) return error;
  return new InterruptedByVaultError(action, cause);
}

/** The engine stopped because Vault went away; exits like the Vault error that caused it. */
export class InterruptedByVaultError extends VaultError {
  override name = 'InterruptedByVaultError';
  override readonly exitCode: number;
  constructor(action: string, cause: VaultError) {
    super(`${action} stopped partway: ${cause.message}. Run ${action} again once Vault is back: it picks up where this one stopped`);
    this.exitCode = cause.exitCode;
  }
}
