/**
 * sys/mounts and sys/auth, and a KV-v2 mount's settings, read once each way. Both servers key
 * their mount lists by path with a trailing slash; the maps here key by the path as the config
 * names it (no slash at either end). The answers' shapes live in site/compare.ts, which compares them.
 */
import type { LiveKvSettings, MountEntry } from '../site/compare.js';
import type { VaultClient } from './client.js';

/** Secrets engines (sys/mounts) or auth methods (sys/auth), by path. */
export async function readMounts(client: VaultClient, kind: 'secrets' | 'auth'): Promise<Map<string, MountEntry>> {
  const response = await client.read<Record<string, MountEntry>>(kind === 'auth' ? 'sys/auth' : 'sys/mounts');
  return new Map(Object.entries(response.data ?? {}).map(([key, value]) => [key.replace(/\/+$/, ''), value] as const));
}

/** `MOUNT/config` of a KV-v2 mount; undefined where there is none (404: not mounted, or not KV version 2). */
export async function readKvConfig(client: VaultClient, mount: string): Promise<LiveKvSettings | undefined> {
  const response = await client.read<LiveKvSettings>(`${mount}/config`, { accept: [404] });
  return response.data;
}
