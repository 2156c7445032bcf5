/**
 * When the engine fails, name the cause in one message: Vault going away (sealed, unreachable),
 * the token being refused, or the token lacking a capability (the provider says so once per
 * resource; this says it once, with the paths). Half-applied state is safe: the next apply converges.
 */
import type { VaultClient } from '../../vault/client.js';
import { notReadyError, serverInfo } from '../../vault/status.js';
import { isTokenRefused, isVaultError, VaultError, VaultPermissionError } from '../../vault/errors.js';
import { serverCli } from '../../vault/server-flavour.js';
import { engineOutput } from '../../engine/errors.js';
import { explainTokenRefusal } from '../context.js';

export async function explainEngineFailure(error: unknown, client: VaultClient | undefined, action: string, site?: string): Promise<unknown> {
  const output = engineOutput(error);
  if (output === undefined || !client) return error;
  let cause: VaultError | undefined;
  try {
    const server = await serverInfo(client);
    if (server.sealed) cause = notReadyError(server);
  } catch (probe) {
    if (isVaultError(probe)) cause = probe;
  }
  if (cause) return new InterruptedByVaultError(action, cause);
  const denied = deniedPaths(output);
  if (denied.length > 0) {
    // The token itself may have expired meanwhile: that is the message then.
    const refused = await explainTokenRefusal(client, new VaultPermissionError(denied[0], 'use')).catch((explained: unknown) => explained);
    if (isTokenRefused(refused)) return refused;
    const profile = await client.serverProfile().catch(() => undefined);
    return new EnginePermissionError(action, denied, site, serverCli(profile?.flavour));
  }
  return error;
}

/** Vault paths the provider was refused, from its "URL: GET https://.../v1/PATH ... Code: 403" blocks. */
export function deniedPaths(output: string): string[] {
  if (!/Code: 403|permission denied/i.test(output)) return [];
  const paths = [...output.matchAll(/URL: (GET|PUT|POST|DELETE|LIST) \S+?\/v1\/([^\s?]+)/g)].map(([, method, path]) => `${path} (${method})`);
  return [...new Set(paths)];
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

/** The provider was refused: said once, with every path, and the policy that grants them, written with the CLI of the server that refused. */
export class EnginePermissionError extends VaultError {
  override name = 'EnginePermissionError';
  constructor(action: string, paths: readonly string[], site = 'SITE', cli: 'vault' | 'bao' = 'vault') {
    // The policy name plan and apply suggest too (vault/admin-policy-check.ts), and the README's.
    const name = `maas-admin-${site}`;
    super(
      `${action} failed: permission denied on ${paths.slice(0, 6).join(', ')}${paths.length > 6 ? ` and ${paths.length - 6} more` : ''}: ` +
        "the token's policies do not cover the stack. Give it the policy `maas-vault policy admin` prints " +
        `(\`maas-vault policy admin > ${name}.hcl && ${cli} policy write ${name} ${name}.hcl\`)`,
    );
  }
}
