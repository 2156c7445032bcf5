/**
 * The active node of a 3-node raft cluster SIGKILLed in the middle of an apply pointed at a
 * standby (the engine is routed to the active node: vault/active-node.ts). The apply ends with a
 * message naming the failure (exit 3: Vault unreachable), and the next apply through a surviving
 * node converges: every controller holds exactly one secret ID (counted with the root token on the
 * new active node), and the plan is then empty. The failover figures are printed.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { roleName, validateConfig } from '../../config/index.js';
import type { RaftCluster } from '../../toolchain/openbao-server.js';
import { startTestCluster } from '../support/cluster-site.js';
import { vaultHttp } from '../support/http.js';
import { TestSite } from '../support/site.js';
import { describeE2E } from '../support/tiers.js';

const CONTROLLERS = 60;
/** Roles created when the active node is killed, one run each, on one cluster (the killed node restarted between runs). */
const KILL_AFTER_ROLES = [10, 40];

describeE2E('the active node SIGKILLed mid-apply (e2e: engine + provider + 3-node raft)', () => {
  let cluster: RaftCluster;
  beforeAll(async () => {
    cluster = await startTestCluster();
    // Every run's site adds its roles to the one AppRole mount MAAS logs in at.
    await vaultHttp((await cluster.active()).address, 'POST', 'sys/auth/approle', { token: cluster.rootToken, body: { type: 'approle' } });
  }, 180_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it.each(KILL_AFTER_ROLES)(
    `${CONTROLLERS} controllers, killed after %i roles: a clear failure, then the next apply through a survivor converges`,
    async (afterRoles) => {
      const active = await cluster.active();
      const standby = (await cluster.standbys())[0];
      const input = {
        site: `failover${afterRoles}`,
        kv: { mount: `kv-failover${afterRoles}` },
        approle: { adopt: true },
        workDir: join(mkdtempSync(join(tmpdir(), 'maas-vault-failover-')), 'work'),
        controllers: Array.from({ length: CONTROLLERS }, (_, index) => ({ name: `region-${index + 1}` })),
      };
      const site = new TestSite({ address: standby.address, rootToken: cluster.rootToken }, input);
      const config = validateConfig({ vault: { address: standby.address }, ...input }, { env: {}, source: 'test' });
      const roles = async (address: string) => {
        const listed = await vaultHttp(address, 'LIST', 'auth/approle/role', { token: cluster.rootToken }).catch(() => undefined);
        return ((listed?.body.data?.keys ?? []) as string[]).filter((role) => role.startsWith(`maas_failover${afterRoles}_`)).length;
      };

      const applying = site.cli(['apply', '--auto-approve']);
      let done = false;
      void applying.then(() => (done = true));
      const deadline = Date.now() + 240_000;
      while (!done && (await roles(active.address)) < afterRoles && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(done).toBe(false);
      const killedAt = Date.now();
      await active.kill();
      const leader = await cluster.active(60_000);
      const newLeaderMs = Date.now() - killedAt;
      const failed = await applying;
      const failedMs = Date.now() - killedAt;
      const rolesAtEnd = await roles(leader.address);

      // The failure is named: the active node went away, and what to run next.
      const named = expect.stringContaining(`the active node ${active.address} stopped answering`);
      expect({ exitCode: failed.exitCode, out: failed.stderr }).toEqual({ exitCode: 3, out: named });
      expect(failed.stderr).toContain('run `maas-vault apply` again through a node that answers');
      expect(failed.all).not.toMatch(/panic|goroutine/);

      // Through a survivor: the one that is not the new active node, if it answers, else the new active node.
      const survivor = cluster.nodes.find((node) => node.running() && node !== leader) ?? leader;
      const again = await new TestSite({ address: survivor.address, rootToken: cluster.rootToken }, { ...input }).cli(['apply', '--auto-approve']);
      expect([again.exitCode, again.exitCode === 0 ? '' : again.all]).toEqual([0, '']);
      for (const { name } of input.controllers) {
        const listed = await vaultHttp(leader.address, 'LIST', `auth/approle/role/${roleName(config, name)}/secret-id`, { token: cluster.rootToken });
        expect([name, listed.status, listed.body.data?.keys?.length]).toEqual([name, 200, 1]);
      }
      const plan = await new TestSite({ address: survivor.address, rootToken: cluster.rootToken }, { ...input }).cli(['plan', '--detailed-exitcode']);
      expect([plan.exitCode, plan.exitCode === 0 ? '' : plan.all]).toEqual([0, '']);
      process.stderr.write(
        `failover (killed after ${afterRoles} roles): new leader ${leader.id} after ${newLeaderMs} ms; ` +
          `the apply ended ${failedMs} ms after the kill with exit ${failed.exitCode}; ` +
          `${rolesAtEnd} of ${CONTROLLERS} roles existed then; the next apply through ${survivor.id} converged\n` +
          `  it said: ${failed.stderr
            .split('\n')
            .filter((line) => /stopped partway/.test(line))
            .join(' | ')}\n`,
      );
      // The killed node rejoins for the next run.
      await active.restart();
    },
    600_000,
  );
});
