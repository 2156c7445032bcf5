/**
 * Where CI hands out every secret ID (`stackSecretIds: false`, `credentials`), `status` knows them
 * by role only: with `secretIdTtl` it reports the time left of the role's last secret ID to expire,
 * read from Vault, and flags it (exit 4, naming `maas-vault rotate`) under a quarter of its life.
 * Without `secretIdTtl` a new secret ID changes nothing in status's output.
 */
import { roleName } from '../../config/index.js';
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { ManualSite } from '../support/manual-site.js';
import { expectExpiryDrift, expectTimeLeftNote, oneExpiringSecretId, secretIdsInVault, statusUnderAQuarterLeft } from '../support/secret-id-expiry.js';
import { serverBinary } from '../support/matrix.js';

/** Long enough for a first status to finish well inside the first three quarters, on a loaded machine. */
const SECRET_ID_TTL = 60;

let server: OpenBaoServer;

beforeAll(async () => {
  server = await startDevServer({ bao: serverBinary() });
});

afterAll(async () => {
  await server?.stop();
});

function ciSite(site: string, values: Record<string, unknown> = {}): Promise<ManualSite> {
  return ManualSite.create(server, { site, kv: { mount: `kv-${site}` }, stackSecretIds: false, controllers: [{ name: 'region-1' }], ...values });
}

it('a secret ID that never expires (the default) changes nothing in status', async () => {
  const site = await ciSite('ci-forever');
  const before = await site.cli(['status']);
  expect((await site.cli(['credentials', '--quiet'])).exitCode).toBe(0);
  const [issued] = await secretIdsInVault(server, roleName({ site: 'ci-forever' }, 'region-1'));
  expect(new Date(issued.expires).getUTCFullYear()).toBe(1);
  const after = await site.cli(['status']);
  expect([after.exitCode, after.stdout, after.stderr]).toEqual([before.exitCode, before.stdout, before.stderr]);
  expect(after.stdout).not.toContain('expires');
});

it('credentials under secretIdTtl: status shows the time left (exit 0), then DRIFT naming rotate (exit 4)', async () => {
  const site = await ciSite('ci-expiry', { wrapTtl: '5s', secretIdTtl: `${SECRET_ID_TTL}s` });
  const role = roleName({ site: 'ci-expiry' }, 'region-1');
  const clean = await site.cli(['status']);
  expect([clean.exitCode, clean.stdout]).toEqual([0, expect.not.stringContaining('expires')]);

  const issued = await site.cli(['credentials', '--quiet']);
  expect(issued.exitCode).toBe(0);
  expect(issued.stderr).toMatch(/warning: secretIdTtl is 60s in .*: each region controller is locked out of Vault 60s after its secret ID was issued/);
  const expires = await oneExpiringSecretId(server, role, SECRET_ID_TTL);
  expectTimeLeftNote(await site.cli(['status']), role, expires);

  // Vault's own clock decides: less than a quarter (15 s) of the secret ID's life left.
  expectExpiryDrift(await statusUnderAQuarterLeft(site, expires, SECRET_ID_TTL), role, expires, '1m');
}, 180_000);
