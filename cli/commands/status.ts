import type { Argv } from 'yargs';
import { defineCommand } from './define.js';
import { openContext, vaultClient, vaultToken, type GlobalArgs } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { checkStatus } from '../../vault/status.js';
import { VaultSealedError } from '../../vault/errors.js';

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
      if (report.json) report.data(status);
      else {
        report.line(`${status.server.flavour} ${status.server.version} at ${status.server.address}: unsealed`);
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
