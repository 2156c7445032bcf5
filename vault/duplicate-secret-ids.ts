/**
 * After a leader change, a secret-ID write that was retried may also have been carried out the
 * first time (the answer, not the write, was lost). Such a twin carries the same `issue_run`
 * metadata as the one returned but a different accessor: nobody holds it, so it is destroyed.
 */
import type { VaultClient } from './client.js';
import { destroySecretIdAccessor, listSecretIdAccessors, lookupSecretIdAccessor } from './approle.js';

interface Issued {
  role: string;
  secretIdAccessor: string;
}

export async function destroyDuplicates(client: VaultClient, run: string, issued: readonly Issued[]): Promise<number> {
  const counts = await Promise.all(
    issued.map(async ({ role, secretIdAccessor }) => {
      const others = (await listSecretIdAccessors(client, role)).filter((accessor) => accessor !== secretIdAccessor);
      let destroyed = 0;
      for (const accessor of others) {
        const lookup = await lookupSecretIdAccessor(client, role, accessor);
        if (lookup.data?.metadata?.issue_run !== run) continue;
        await destroySecretIdAccessor(client, role, accessor);
        destroyed++;
      }
      return destroyed;
    }),
  );
  return counts.reduce((sum, count) => sum + count, 0);
}
