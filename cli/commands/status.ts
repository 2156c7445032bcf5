import type { Argv } from 'yargs';
import { defineCommand } from './define.js';
import { openContext, vaultClient, vaultToken, type GlobalArgs } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { checkStatus } from '../../vault/status.js';
import { VaultSealedError } from '../../vault/errors.js';
import { clusterReport, type ClusterReport } from '../../vault/cluster.js';
import type { Reporter } from '../reporter.js';

export const statusCommand = defineCommand<GlobalArgs>({
  command: 'status',
  describe: 'Check Vault against the config: reachable, unsealed, approle, KV-v2, policy, roles (exit 4 on drift)',
  builder: (yargs: Argv<GlobalArgs>) => yargs.example('VAULT_TOKEN=... $0 status', 'lists every difference; exit 4 when there is one'),
  handler: async (argv) => {
    const { config, report } = openContext(argv);
    const client = vaultClient(config, vaultToken('read sys/auth, sys/mounts, the policy and the roles'));
    try {
      const status = await report.step(`checking Vault at ${config.vault.address}`, () => checkStatus(client, config));
      if (status.server.sealed) throw new VaultSealedError(client.address);
      const cluster = await clusterReport(client);
      if (report.json) report.data({ ...status, cluster });
      else {
        report.line(`${status.server.flavour} ${status.server.version} at ${status.server.address}: unsealed`);
        printCluster(report, cluster);
        for (const check of status.checks) {
          report.line(`${check.ok ? 'ok     ' : 'DRIFT  '} ${check.subject}`);
          for (const problem of check.problems) report.line(`          ${problem}`);
        }
        report.line(status.drift ? 'Drift found: `maas-vault apply` brings Vault back to the config.' : 'Vault matches the config.');
      }
      if (status.drift) process.exitCode = EXIT.drift;
    } finally {
      await client.close();
    }
  },
});

function printCluster(report: Reporter, cluster: ClusterReport): void {
  if (!cluster.haEnabled) return;
  const unknown = '(unknown: the token may not read it)';
  report.line(`HA cluster: this node is ${cluster.isStandby ? 'a standby' : 'the active node'}; active node ${cluster.activeAddress ?? 'none'}`);
  report.line(`  standbys: ${cluster.standbys ? cluster.standbys.join(', ') || 'none' : unknown}`);
  report.line(`  standby reads: ${cluster.standbyReads === undefined ? unknown : cluster.standbyReads ? 'enabled' : 'disabled (standbys forward every request)'}`);
  for (const warning of cluster.warnings) report.warn(warning);
}
