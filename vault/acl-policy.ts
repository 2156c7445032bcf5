/** sys/policies/acl/NAME, read once for every caller. */
import type { VaultClient } from './client.js';

/** The policy's text exactly as Vault stores it; undefined when there is no such policy. */
export async function readPolicy(client: VaultClient, name: string): Promise<string | undefined> {
  const response = await client.read<{ policy: string }>(`sys/policies/acl/${encodeURIComponent(name)}`, { accept: [404] });
  return response.status === 404 ? undefined : response.data?.policy;
}
