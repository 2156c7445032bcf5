/**
 * apply, plan and destroy pointed at a standby of a 3-node raft cluster, as a load balancer or DNS
 * round-robin hands it out. The provider writes and reads back at once; a standby that serves
 * reads from its own, lagging copy made OpenBao applies fail with "Provider produced inconsistent
 * result after apply" (measured: 60 controllers, both runs). maas-vault hands the engine the
 * active node instead, says so, and the run converges: one secret ID per controller, empty plan.
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

describeE2E('apply through a standby of a raft cluster (e2e: engine + provider)', () => {
  let cluster: RaftCluster;
  beforeAll(async () => {
    cluster = await startTestCluster();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it(`${CONTROLLERS} controllers: apply reaches the active node, every role holds one secret ID, the plan is then empty, destroy leaves nothing`, async () => {
    const standby = (await cluster.standbys())[0];
    const active = await cluster.active();
    const input = {
      site: 'haapply',
      workDir: join(mkdtempSync(join(tmpdir(), 'maas-vault-ha-apply-')), 'work'),
      controllers: Array.from({ length: CONTROLLERS }, (_, index) => ({ name: `region-${index + 1}` })),
    };
    const site = new TestSite({ address: standby.address, rootToken: cluster.rootToken }, input);

    const applied = await site.cli(['apply', '--auto-approve']);
    expect({ exitCode: applied.exitCode, inconsistent: /inconsistent result after apply/.test(applied.all) }).toEqual({ exitCode: 0, inconsistent: false });
    expect(applied.stderr).toContain(`${standby.address} is a standby of a Vault cluster: the engine talks to the active node ${active.address}`);

    const config = validateConfig({ vault: { address: standby.address }, ...input }, { env: {}, source: 'test' });
    for (const { name } of input.controllers) {
      const listed = await vaultHttp(active.address, 'LIST', `auth/approle/role/${roleName(config, name)}/secret-id`, { token: cluster.rootToken });
      expect([name, listed.status, listed.body.data?.keys?.length]).toEqual([name, 200, 1]);
    }
    expect((await site.plan()).changes).toBe(false);

    await site.destroy();
    const roles = await vaultHttp(active.address, 'LIST', 'auth/approle/role', { token: cluster.rootToken });
    expect((roles.body.data?.keys ?? []).filter((role: string) => role.startsWith('maas_haapply'))).toEqual([]);
  });
});
