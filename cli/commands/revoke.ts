import type { Argv } from 'yargs';
import { defineCommand } from './define.js';
import { explainTokenRefusal, openContext, selectControllers, vaultClient, vaultToken, type GlobalArgs } from '../context.js';
import { revokeController } from '../../vault/credentials.js';

interface RevokeArgs extends GlobalArgs {
  controller: string[];
}

export const revokeCommand = defineCommand<RevokeArgs>({
  command: 'revoke',
  describe: "Break-glass: destroy every secret ID of a controller's role, so it can no longer log in",
  builder: (yargs: Argv<GlobalArgs>) =>
    yargs
      .option('controller', { type: 'string', array: true, demandOption: true, describe: 'the controller(s) to cut off' })
      .example('VAULT_TOKEN=... $0 revoke --controller region-2', 'region-2 can no longer log in'),
  handler: async (argv) => {
    const { config, report } = openContext(argv);
    const controllers = selectControllers(config, argv.controller);
    const client = vaultClient(config, vaultToken(`destroy secret IDs of site ${config.site}`));
    try {
      const counts = await report
        .step('destroying secret IDs', () => Promise.all(controllers.map((name) => revokeController(client, config, name))))
        .catch((error: unknown) => explainTokenRefusal(client, error));
      const tokenLife = config.tokenMaxTtl ?? `the mount's max TTL (tokenMaxTtl is not set; each renewal adds up to ${config.tokenTtl})`;
      if (report.json) report.data({ controllers: controllers.map((name, index) => ({ name, destroyedSecretIds: counts[index] })) });
      else {
        controllers.forEach((name, index) => report.line(`${name}: destroyed ${counts[index]} secret ID${counts[index] === 1 ? '' : 's'}; it cannot log in again`));
        report.line(`Tokens it already holds stay valid until they expire: at most ${tokenLife}. Revoke them too with \`vault token revoke -mode=path auth/approle/login\` if that is too long.`);
      }
    } finally {
      await client.close();
    }
  },
});
