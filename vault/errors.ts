/**
 * What can go wrong talking to Vault, each with a message that says what happened and what to do.
 * Messages never carry a token, a secret_id or a request body.
 */
import { cliCommand, type ServerFlavour } from './server-flavour.js';

/** Base class: `exitCode` is the CLI's documented code for this failure. */
export class VaultError extends Error {
  override name = 'VaultError';
  readonly exitCode: number = 1;
}

/** Where the address and CA bundle came from: the environment variable or the config key. */
export interface ConnectionOrigin {
  address?: string;
  caCert?: string;
}

/** Vault cannot be reached at all (connection refused, DNS, timeout). */
export class VaultUnreachableError extends VaultError {
  override name = 'VaultUnreachableError';
  override readonly exitCode = 3;
  constructor(
    readonly address: string,
    readonly reason: string,
    origin: ConnectionOrigin = {},
  ) {
    super(
      `Vault at ${address} is unreachable (${reason}): check ${origin.address ?? 'VAULT_ADDR or vault.address'}, and that Vault is running and listening there`,
    );
  }
}

/** The TLS handshake failed: the certificate is not trusted, not for this name, or there is no TLS. */
export class VaultTlsError extends VaultError {
  override name = 'VaultTlsError';
  override readonly exitCode = 3;
  constructor(
    readonly address: string,
    readonly reason: string,
    advice: string,
  ) {
    super(`Vault at ${address}: TLS verification failed (${reason}): ${advice}`);
  }
}

export class VaultSealedError extends VaultError {
  override name = 'VaultSealedError';
  override readonly exitCode = 3;
  /** `cli`: the server's own CLI when known, else both are named. */
  constructor(
    readonly address: string,
    cli?: 'bao' | 'vault',
  ) {
    super(
      `Vault at ${address} is sealed: unseal it with ${cli ? `\`${cli} operator unseal\`` : cliCommand(undefined, 'operator unseal')}, then run this again`,
    );
  }
}

/** A server that was never initialized: it has no keys to unseal with yet, and no data. */
export class VaultNotInitializedError extends VaultError {
  override name = 'VaultNotInitializedError';
  override readonly exitCode = 3;
  constructor(
    readonly address: string,
    cli: 'bao' | 'vault',
  ) {
    super(
      `Vault at ${address} is not initialized: initialize it with \`${cli} operator init\` (keep the unseal keys and the root token it prints safe), ` +
        `unseal it with \`${cli} operator unseal\`, then run this again`,
    );
  }
}

/** Vault refuses the token itself: mistyped, expired or revoked. `flavour`: the server's, when it said. */
export class VaultTokenRefusedError extends VaultError {
  override name = 'VaultTokenRefusedError';
  constructor(
    readonly address: string,
    flavour: ServerFlavour | undefined,
  ) {
    super(
      `Vault at ${address} refused the token (from VAULT_TOKEN or ~/.vault-token): it is invalid, expired or revoked, ` +
        `or it lacks the default policy that grants auth/token/lookup-self. Export a valid token (${cliCommand(flavour, 'login')} or VAULT_TOKEN)`,
    );
  }
}

/** The token lacks a capability on a path. */
export class VaultPermissionError extends VaultError {
  override name = 'VaultPermissionError';
  constructor(
    readonly path: string,
    readonly capability: string,
    detail?: string,
  ) {
    super(
      `permission denied: the token's policies do not grant "${capability}" on ${path}` +
        `${detail ? ` (${detail})` : ''}: add a policy that grants it to the token, or use a token that has one ` +
        '(`maas-vault policy admin` and `maas-vault policy issuer` print the ones this tool needs)',
    );
  }
}

/** Nothing is mounted at the path: MAAS users meet this as `no handler for route`. */
export class VaultNoRouteError extends VaultError {
  override name = 'VaultNoRouteError';
  constructor(readonly path: string) {
    super(
      `no handler for route "${path}": nothing is mounted there. Check that the mount exists ` +
        '(`maas-vault status`), that kv.mount and secretsPath match it, and apply the stack if it does not',
    );
  }
}

/** A response-wrapping token that was already unwrapped, has expired, or never existed. */
export class WrappingTokenError extends VaultError {
  override name = 'WrappingTokenError';
  constructor(readonly detail: string) {
    super(`the wrapping token is not valid (${detail}): it works once and expires after its TTL; issue a new one with \`maas-vault credentials\``);
  }
}

/** Any other error answer from Vault. */
export class VaultApiError extends VaultError {
  override name = 'VaultApiError';
  constructor(
    readonly status: number,
    readonly method: string,
    readonly path: string,
    readonly errors: string[],
  ) {
    super(`Vault answered ${status} to ${method} ${path}: ${errors.join('; ') || 'no error text'}`);
  }
}

/**
 * The family of failures where Vault itself cannot answer (unreachable, TLS, sealed, not
 * initialized, no active node): exit 3, and nothing the command meant to do was done.
 */
export function isServerUnavailable(error: unknown): boolean {
  return error instanceof VaultError && error.exitCode === 3;
}

/** Any failure told as a Vault error (its exitCode is the CLI's for it). */
export function isVaultError(error: unknown): error is VaultError {
  return error instanceof VaultError;
}

/** Vault refused the token itself (invalid, expired, revoked). */
export function isTokenRefused(error: unknown): error is VaultTokenRefusedError {
  return error instanceof VaultTokenRefusedError;
}

/** The token lacks a capability on a path (which may also mean the token is no good: see explainTokenRefusal). */
export function isPermissionDenied(error: unknown): error is VaultPermissionError {
  return error instanceof VaultPermissionError;
}

/** A response-wrapping token already unwrapped, expired, or never issued. */
export function isWrappingTokenInvalid(error: unknown): error is WrappingTokenError {
  return error instanceof WrappingTokenError;
}

/** Any other error answer from Vault; with `statuses`, only an answer with one of those HTTP statuses. */
export function isVaultApiError(error: unknown, ...statuses: number[]): error is VaultApiError {
  return error instanceof VaultApiError && (statuses.length === 0 || statuses.includes(error.status));
}
