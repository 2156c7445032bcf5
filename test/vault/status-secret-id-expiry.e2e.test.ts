/**
 * With `secretIdTtl`, MAAS's stored secret ID dies that long after it was issued (MAAS never
 * fetches a new one): `status` reports the time left from what Vault holds, and turns it into a
 * problem (exit 4, naming `maas-vault rotate`) once less than a quarter of its life remains.
 */
import { roleName } from '../../config/index.js';
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { TestSite } from '../support/site.js';
import { expectExpiryDrift, expectTimeLeftNote, oneExpiringSecretId, statusUnderAQuarterLeft } from '../support/secret-id-expiry.js';
import { describeE2E } from '../support/tiers.js';
import { serverBinary } from '../support/matrix.js';

/** Long enough for apply and a first status to finish well inside the first three quarters, on a loaded machine. */
const SECRET_ID_TTL = 120;

describeE2E('status watches an expiring secret ID (e2e: engine + provider)', () => {
  let server: OpenBaoServer;
  let site: TestSite;
  const role = roleName({ site: 'expiry' }, 'region-1');

  beforeAll(async () => {
    server = await startDevServer({ bao: serverBinary() });
    site = new TestSite(server, {
      site: 'expiry',
      kv: { mount: 'kv-expiry' },
      wrapTtl: '5s',
      secretIdTtl: `${SECRET_ID_TTL}s`,
      controllers: [{ name: 'region-1' }],
    });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('shows the time left (exit 0), then, under a quarter of its life, DRIFT naming rotate (exit 4)', async () => {
    const applied = await site.apply();
    expect(applied.stderr).toMatch(/warning: secretIdTtl is 120s in .*locked out of Vault 120s after its secret ID was issued/);
    const expires = await oneExpiringSecretId(server, role, SECRET_ID_TTL);
    expectTimeLeftNote(await site.cli(['status']), role, expires);

    // Vault's own clock decides: less than a quarter (30 s) of the secret ID's life left.
    expectExpiryDrift(await statusUnderAQuarterLeft(site, expires, SECRET_ID_TTL), role, expires, '2m');
  }, 300_000);
});
