/**
 * sys/mounts and sys/auth, typed once: each entry as far as maas-vault reads it. Both servers
 * key their answers by path with a trailing slash; the maps here key by the path as the config
 * names it (no slash at either end).
 */
import type { VaultClient } from './client.js';

export interface MountEntry {
  type: string;
  description: string;
  local: boolean;
  /** Auth methods: what identity aliases name the mount by (identity/lookup/entity). */
  accessor?: string;
  external_entropy_access?: boolean;
  /** KV: `{ version: '2' }`; null on mounts without options. */
  options: Record<string, string> | null;
  config?: { listing_visibility?: string; passthrough_request_headers?: string[]; allowed_response_headers?: string[] };
}

/** Secrets engines (sys/mounts) or auth methods (sys/auth), by path. */
export async function readMounts(client: VaultClient, kind: 'secrets' | 'auth'): Promise<Map<string, MountEntry>> {
  const response = await client.read<Record<string, MountEntry>>(kind === 'auth' ? 'sys/auth' : 'sys/mounts');
  return new Map(Object.entries(response.data ?? {}).map(([key, value]) => [key.replace(/\/+$/, ''), value] as const));
}
