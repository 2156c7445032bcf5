/** What Vault says of a role's secret IDs' lifetimes, and `status` once one is near its end: for the secretIdTtl tests. */
import { vaultHttp } from './http.js';
import type { TestServer, TestSite } from './site.js';
import type { CliResult } from './cli.js';

/** Creation and expiration (ms since the epoch) of each of the role's secret IDs, as Vault holds them. */
export async function secretIdsInVault(server: TestServer, role: string): Promise<Array<{ created: number; expires: number }>> {
  const listed = await vaultHttp(server.address, 'LIST', `auth/approle/role/${role}/secret-id`, { token: server.rootToken });
  const keys: string[] = listed.body.data?.keys ?? [];
  return Promise.all(
    keys.map(async (accessor) => {
      const lookup = await vaultHttp(server.address, 'POST', `auth/approle/role/${role}/secret-id-accessor/lookup`, {
        token: server.rootToken,
        body: { secret_id_accessor: accessor },
      });
      return { created: Date.parse(lookup.body.data.creation_time), expires: Date.parse(lookup.body.data.expiration_time) };
    }),
  );
}

/** The role's one secret ID: issued for `lifeSeconds`, as Vault holds it; its expiration time (ms). */
export async function oneExpiringSecretId(server: TestServer, role: string, lifeSeconds: number): Promise<number> {
  const secretIds = await secretIdsInVault(server, role);
  expect(secretIds).toHaveLength(1);
  const [{ created, expires }] = secretIds;
  expect((expires - created) / 1000).toBeCloseTo(lifeSeconds, 0);
  return expires;
}

/** status with plenty of the secret ID's life left: the time left, as a note, exit 0. */
export function expectTimeLeftNote(status: CliResult, role: string, expires: number): void {
  expect(status.exitCode).toBe(0);
  expect(status.stdout).toMatch(new RegExp(`note\\s+role ${role}\\n`));
  expect(status.stdout).toContain(`its secret ID expires in`);
  expect(status.stdout).toContain(`(at ${new Date(expires).toISOString()}; secretIdTtl)`);
}

/**
 * Waits, by Vault's expiration time, until less than a quarter of a `lifeSeconds` secret ID is
 * left (a second past it), runs status, and checks it ran before the secret ID died.
 */
export async function statusUnderAQuarterLeft(site: TestSite, expires: number, lifeSeconds: number): Promise<CliResult> {
  const alarm = expires - (lifeSeconds / 4) * 1000 + 1000;
  while (Date.now() < alarm) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, alarm - Date.now() + 10)));
  const status = await site.cli(['status']);
  expect(Date.now()).toBeLessThan(expires);
  return status;
}

/** The DRIFT status prints for region-1's secret ID under a quarter of its life. */
export function expectExpiryDrift(status: CliResult, role: string, expires: number, life: string): void {
  expect(status.exitCode).toBe(4);
  expect(status.stdout).toMatch(new RegExp(`DRIFT\\s+role ${role}\\n`));
  expect(status.stdout).toContain(
    `(at ${new Date(expires).toISOString()}), less than a quarter of its ${life} life (or a day): region-1 is then locked out of Vault, and MAAS cannot read its secrets`,
  );
  expect(status.stdout).toContain(
    '`maas-vault rotate --controller region-1`, run the configure command it prints on region-1, then `maas-vault rotate --finish`',
  );
}
