import type { Argv } from 'yargs';
import { defineCommand } from './define.js';
import { COMMAND_TEXT } from './texts.js';
import { openContext, ensureVaultReady, selectControllers, vaultClient, vaultToken, type GlobalArgs } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { verifyControllers } from '../../vault/verify.js';

interface VerifyArgs extends GlobalArgs {
  controller?: string[];
}

export const verifyCommand = defineCommand<VerifyArgs>({
  ...COMMAND_TEXT.verify,
  builder: (yargs: Argv<GlobalArgs>) =>
    yargs
      .option('controller', { type: 'string', array: true, describe: 'only these controllers (default: all)' })
      .example('VAULT_TOKEN=... $0 verify', 'unwrap, login, lookup-self, write/read/delete per controller'),
  handler: async (argv) => {
    const { config, report } = openContext(argv, { workDirAccess: 'read' });
    const controllers = selectControllers(config, argv.controller);
    const client = vaultClient(config, vaultToken(`issue secret IDs for site ${config.site}`));
    try {
      await report.step(`checking Vault at ${config.vault.address}`, () => ensureVaultReady(client));
      const results = await report.step(`verifying ${controllers.length} controllers`, () => verifyControllers(client, config, controllers));
      if (report.json) report.data({ controllers: results });
      else {
        for (const result of results) {
          report.line(
            result.ok
              ? `OK      ${result.controller}: unwrap, login, lookup-self (policies ${result.policies?.join(', ')}; token TTL ${result.tokenTtlSeconds}s), write/read/delete under ${config.kv.mount}/${config.secretsPath}`
              : `FAILED  ${result.controller}: ${result.message}`,
          );
        }
      }
      if (results.some((result) => !result.ok)) process.exitCode = EXIT.failure;
    } finally {
      await client.close();
    }
  },
});
