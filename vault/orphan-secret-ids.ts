/**
 * Secret IDs an interrupted apply issued but never recorded: Vault created them, the engine's
 * state does not know them, so no later apply would remove them. After an interrupted run, apply
 * destroys them, leaving exactly the stack's recorded secret ID per controller. Only secret IDs
 * whose metadata says the stack of this very site issued them are touched: those of
 * `maas-vault credentials` (what MAAS may be running on) and anyone else's stay.
 */
import type { VaultClient } from './client.js';
import { destroySecretIdAccessor, listSecretIdAccessors, lookupSecretIdAccessor } from './approle.js';

export interface RecordedSecretId {
  role: string;
  /** The accessor the state records for this role's stack-issued secret ID. */
  accessor?: string;
}

export async function destroyUnrecordedStackSecretIds(client: VaultClient, site: string, recorded: readonly RecordedSecretId[]): Promise<number> {
  const counts = await Promise.all(
    recorded.map(async ({ role, accessor }) => {
      const accessors = (await listSecretIdAccessors(client, role)).filter((candidate) => candidate !== accessor);
      const unrecorded = await Promise.all(
        accessors.map(async (candidate) => {
          const found = await lookupSecretIdAccessor(client, role, candidate);
          const metadata = found.data?.metadata ?? {};
          return metadata.issued_by === 'maas-vault stack' && metadata.site === site ? candidate : undefined;
        }),
      );
      const doomed = unrecorded.filter((candidate): candidate is string => candidate !== undefined);
      await Promise.all(doomed.map((candidate) => destroySecretIdAccessor(client, role, candidate)));
      return doomed.length;
    }),
  );
  return counts.reduce((sum, count) => sum + count, 0);
}
