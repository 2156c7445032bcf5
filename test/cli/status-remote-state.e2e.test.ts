/**
 * `status` tells "created by the stack, no longer in the config" (the plan deletes it) from
 * "unknown to the stack" (EXTRA) by the stack's state: it must read that state where it lives,
 * the pg row, or (encrypted, OpenTofu) through the engine, not a local file that is not there.
 */
import { roleName } from '../../config/index.js';
import type { OpenBaoServer } from '../../toolchain/openbao-server.js';
import { startOpenBaoAndPostgres, type TestPostgres } from '../support/postgres.js';
import { stopAll } from '../support/stop.js';
import { TestSite } from '../support/site.js';
import { describeE2E } from '../support/tiers.js';
import { tofuPath } from '../support/tofu.js';

const PASSPHRASE = 'correct-horse-battery-staple-2026';

describeE2E('status reads the state where it lives (e2e: engine + provider + PostgreSQL 15)', () => {
  let server: OpenBaoServer;
  let postgres: TestPostgres;

  beforeAll(async () => ({ server, postgres } = await startOpenBaoAndPostgres()));
  afterAll(() => stopAll(server, postgres));

  async function dropControllerAndStatus(name: string, state: Record<string, unknown>, extraEnv: Record<string, string>): Promise<void> {
    const site = new TestSite(server, {
      site: name,
      kv: { mount: `kv-${name}` },
      approle: { adopt: true },
      controllers: [{ name: 'region-1' }, { name: 'region-2' }],
      state,
    });
    const env = { ...postgres.env, ...extraEnv };
    const applied = await site.cli(['apply', '--auto-approve'], server.rootToken, env);
    expect([applied.exitCode, applied.exitCode === 0 ? '' : applied.all]).toEqual([0, '']);
    const clean = await site.cli(['status'], server.rootToken, env);
    expect([clean.exitCode, clean.exitCode === 0 ? '' : clean.all]).toEqual([0, '']);

    site.update((input) => ({ ...input, controllers: [{ name: 'region-1' }] }));
    const status = await site.cli(['status', '--json'], server.rootToken, env);
    expect(status.exitCode).toBe(4);
    const findings = JSON.parse(status.stdout).checks.flatMap((check: { findings: { kind: string; text: string }[] }) => check.findings);
    const dropped = roleName({ site: name }, 'region-2');
    expect(findings).toContainEqual(
      expect.objectContaining({ kind: 'drift', text: `role ${dropped} was created by the stack but the config no longer names it` }),
    );
    expect(findings.filter((finding: { kind: string }) => finding.kind === 'extra')).toEqual([]);
    // ...which is what the plan says too.
    const plan = await site.cli(['plan', '--json'], server.rootToken, env);
    // ...and that apply would need the flag that names the role's deletion.
    expect(JSON.parse(plan.stdout)).toEqual({
      changes: true,
      losses: [expect.objectContaining({ kind: 'roles', address: 'vault_approle_auth_backend_role.region_region-2_role', optIn: '--replace-roles' })],
    });
  }

  it('pg backend: from the state row, without a local state file', async () => {
    await dropControllerAndStatus('stpg', { backend: 'pg' }, {});
  });

  (tofuPath ? it : it.skip)('encrypted state (OpenTofu): through the engine, with the passphrase', async () => {
    await dropControllerAndStatus(
      'stenc',
      { backend: 'pg', encryption: { passphraseEnv: 'MAAS_STATE_PASSPHRASE' } },
      { MAAS_VAULT_ENGINE: tofuPath!, MAAS_STATE_PASSPHRASE: PASSPHRASE },
    );
  });
});
