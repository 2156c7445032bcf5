/** The AppRole and response-wrapping calls maas-vault makes outside Terraform. */
import type { LiveRole } from '../site/compare.js';
import type { RequestOptions, VaultClient } from './client.js';
import { isPermissionDenied, isVaultApiError, VaultApiError, WrappingTokenError } from './errors.js';

export const APPROLE_MOUNT = 'approle';

export function rolePath(role: string, mount: string = APPROLE_MOUNT): string {
  return `auth/${mount}/role/${encodeURIComponent(role)}`;
}

/** A role's settings as Vault holds them (the shape lives in site/compare.ts, which compares them); undefined when there is no such role. */
export async function readRole(client: VaultClient, mount: string, name: string): Promise<LiveRole | undefined> {
  const response = await client.read<LiveRole>(rolePath(name, mount), { accept: [404] });
  return response.status === 404 ? undefined : response.data;
}

export interface WrappedSecretId {
  wrappingToken: string;
  /** The secret ID's own accessor (Vault reports it as the wrapped accessor): safe to log. */
  secretIdAccessor: string;
  /** The wrapping token's own accessor: tells later whether the token was unwrapped, without holding it. */
  wrappingAccessor: string;
  /** Wrapping TTL in seconds, as Vault granted it. */
  ttlSeconds: number;
  creationTime: string;
}

/** When a wrapping token stops working (ISO 8601), from what Vault said when it issued it. */
export function wrappingExpiry(wrapped: Pick<WrappedSecretId, 'creationTime' | 'ttlSeconds'>): string {
  return new Date(Date.parse(wrapped.creationTime) + wrapped.ttlSeconds * 1000).toISOString();
}

export async function readRoleId(client: VaultClient, role: string): Promise<string> {
  const response = await client.read<{ role_id: string }>(`${rolePath(role)}/role-id`);
  return response.data!.role_id;
}

/** A new secret ID for `role`, returned only inside a wrapping token. */
export async function issueWrappedSecretId(client: VaultClient, role: string, wrapTtl: string, metadata: Record<string, string>): Promise<WrappedSecretId> {
  const response = await client.write(`${rolePath(role)}/secret-id`, { metadata: JSON.stringify(metadata) }, { wrapTtl });
  const wrap = response.wrap_info;
  if (!wrap?.token || !wrap.wrapped_accessor) {
    throw new VaultApiError(response.status, 'POST', `${rolePath(role)}/secret-id`, ['Vault did not wrap the secret ID']);
  }
  return {
    wrappingToken: wrap.token,
    secretIdAccessor: wrap.wrapped_accessor,
    wrappingAccessor: wrap.accessor,
    ttlSeconds: wrap.ttl,
    creationTime: wrap.creation_time,
  };
}

export async function listSecretIdAccessors(client: VaultClient, role: string): Promise<string[]> {
  const response = await client.list(`${rolePath(role)}/secret-id`, { accept: [404] });
  return response.status === 404 ? [] : (response.data?.keys ?? []);
}

/** What Vault holds about one secret ID of `role`, by its accessor: here, the metadata it was issued with. */
export interface SecretIdInfo {
  metadata?: Record<string, string>;
  creation_time?: string;
  /** `0001-01-01T00:00:00Z` when the secret ID never expires (secret_id_ttl 0). */
  expiration_time?: string;
}

/** auth/approle/role/ROLE/secret-id-accessor/lookup; `accept` lists the statuses that are answers (404: no such secret ID). */
export function lookupSecretIdAccessor(client: VaultClient, role: string, accessor: string, accept: number[] = [404]) {
  return client.write<SecretIdInfo>(`${rolePath(role)}/secret-id-accessor/lookup`, { secret_id_accessor: accessor }, { accept });
}

export async function destroySecretIdAccessor(client: VaultClient, role: string, accessor: string): Promise<void> {
  await client.write(`${rolePath(role)}/secret-id-accessor/destroy`, { secret_id_accessor: accessor });
}

/**
 * Destroys a secret ID unless it is already gone (another run destroyed it between our list and
 * this call): true when this call destroyed it. OpenBao and Vault answer a vanished accessor with
 * 500 "failed to find accessor entry" (older versions with 400 or 404).
 */
export async function destroySecretIdAccessorIfPresent(client: VaultClient, role: string, accessor: string): Promise<boolean> {
  try {
    await destroySecretIdAccessor(client, role, accessor);
    return true;
  } catch (error) {
    if (isVaultApiError(error) && (error.status === 400 || error.status === 404 || /failed to find accessor entry/i.test(error.message))) return false;
    throw error;
  }
}

export interface WrappingInfo {
  creation_path: string;
  creation_time: string;
  creation_ttl: number;
}

/** Looks a wrapping token up without unwrapping it (`sys/wrapping/lookup` needs no other token). */
export async function lookupWrappingToken(client: VaultClient, wrappingToken: string): Promise<WrappingInfo> {
  try {
    const response = await client.write<WrappingInfo>('sys/wrapping/lookup', { token: wrappingToken }, { token: null });
    return response.data!;
  } catch (error) {
    throw asWrappingError(error);
  }
}

/** Unwraps once: after this the wrapping token is spent. */
export async function unwrap<T>(client: VaultClient, wrappingToken: string, options: Pick<RequestOptions, 'forwardToActive'> = {}): Promise<T> {
  try {
    const response = await client.write<T>('sys/wrapping/unwrap', {}, { ...options, token: wrappingToken });
    return response.data!;
  } catch (error) {
    throw asWrappingError(error);
  }
}

/** Vault says "wrapping token is not valid or does not exist" (400) for used, expired and bogus tokens alike. */
function asWrappingError(error: unknown): unknown {
  if (isVaultApiError(error, 400, 403)) {
    const text = error.errors.join('; ');
    if (/wrapping token|permission denied|invalid token|bad token/i.test(text)) {
      return new WrappingTokenError('already used, expired, or never issued');
    }
  }
  if (isPermissionDenied(error)) {
    return new WrappingTokenError('already used, expired, or never issued');
  }
  return error;
}

export interface AppRoleLogin {
  clientToken: string;
  policies: string[];
  leaseSeconds: number;
}

export async function loginWithAppRole(
  client: VaultClient,
  roleId: string,
  secretId: string,
  options: Pick<RequestOptions, 'forwardToActive'> = {},
): Promise<AppRoleLogin> {
  const response = await client.write(`auth/${APPROLE_MOUNT}/login`, { role_id: roleId, secret_id: secretId }, { ...options, token: null });
  const auth = response.auth!;
  return { clientToken: auth.client_token, policies: auth.policies, leaseSeconds: auth.lease_duration };
}
