/**
 * With `secretIdTtl`, MAAS's stored secret ID dies that long after it was issued (MAAS never
 * fetches a new one): `status` reports the time left from what Vault holds, and turns it into a
 * problem (exit 4, naming `maas-vault rotate`) once less than a quarter of its life remains.
 */
import { roleName } from '../../config/index.js';
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { TestSite } from '../support/site.js';
import { vaultHttp } from '../support/http.js';
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

  async function secretIdInVault(): Promise<{ created: number; expires: number }> {
    const listed = await vaultHttp(server.address, 'LIST', `auth/approle/role/${role}/secret-id`, { token: server.rootToken });
    expect(listed.body.data?.keys).toHaveLength(1);
    const lookup = await vaultHttp(server.address, 'POST', `auth/approle/role/${role}/secret-id-accessor/lookup`, {
      token: server.rootToken,
      body: { secret_id_accessor: listed.body.data.keys[0] },
    });
    return { created: Date.parse(lookup.body.data.creation_time), expires: Date.parse(lookup.body.data.expiration_time) };
  }

  it('shows the time left (exit 0), then, under a quarter of its life, DRIFT naming rotate (exit 4)', async () => {
    const applied = await site.apply();
    expect(applied.stderr).toMatch(/warning: secretIdTtl is 120s in .*locked out of Vault 120s after its secret ID was issued/);
    const { created, expires } = await secretIdInVault();
    expect((expires - created) / 1000).toBeCloseTo(SECRET_ID_TTL, 0);
    const at = new Date(expires).toISOString();

    const early = await site.cli(['status']);
    expect([early.exitCode, early.stdout]).toEqual([0, expect.stringContaining(`its secret ID expires in`)]);
    expect(early.stdout).toContain(`(at ${at}; secretIdTtl)`);
    expect(early.stdout).toMatch(new RegExp(`note\\s+role ${role}\\n`));

    // Vault's own clock decides: wait until less than a quarter (30 s) of the secret ID's life is left.
    const alarm = expires - (SECRET_ID_TTL / 4) * 1000;
    while (Date.now() < alarm + 1000) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, alarm + 1000 - Date.now() + 10)));
    const late = await site.cli(['status']);
    expect(Date.now()).toBeLessThan(expires);
    expect(late.exitCode).toBe(4);
    expect(late.stdout).toMatch(new RegExp(`DRIFT\\s+role ${role}\\n`));
    expect(late.stdout).toContain(
      `(at ${at}), less than a quarter of its 2m life (or a day): region-1 is then locked out of Vault, and MAAS cannot read its secrets`,
    );
    expect(late.stdout).toContain(
      '`maas-vault rotate --controller region-1`, run the configure command it prints on region-1, then `maas-vault rotate --finish`',
    );
  }, 300_000);
});
