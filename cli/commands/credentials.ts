import { renameSync, writeFileSync } from 'node:fs';
import type { Argv } from 'yargs';
import { defineCommand } from './define.js';
import { explainTokenRefusal, openContext, selectControllers, vaultClient, vaultToken, type GlobalArgs } from '../context.js';
import { printConfigureCommands } from '../present.js';
import { UsageError } from '../exit-codes.js';
import { durationProblem, TTL_LIMITS } from '../../config/rules.js';
import { issueCredentials } from '../../vault/credentials.js';

interface CredentialsArgs extends GlobalArgs {
  controller?: string[];
  wrapTtl?: string;
  out?: string;
  revokePrevious: boolean;
}

export const credentialsCommand = defineCommand<CredentialsArgs>({
  command: 'credentials',
  describe: 'Issue a fresh response-wrapped secret ID per region controller, straight through the Vault API (the CI path)',
  builder: (yargs: Argv<GlobalArgs>) =>
    yargs
      .option('controller', { type: 'string', array: true, describe: 'only these controllers (repeatable; default: all)' })
      .option('wrap-ttl', { type: 'string', describe: 'wrapping TTL, e.g. 5m (default: wrapTtl of the config)' })
      .option('out', { type: 'string', describe: 'also write the JSON result to this file, mode 0600' })
      .option('revoke-previous', { type: 'boolean', default: false, describe: "destroy each role's older secret IDs once the new one exists" })
      .example('$0 credentials --controller region-2 --json', 'one fresh credential as JSON')
      .example('$0 credentials --out creds.json --revoke-previous', 'all controllers, older secret IDs destroyed'),
  handler: async (argv) => {
    const { config, report } = openContext(argv);
    const wrapTtl = argv.wrapTtl ?? config.wrapTtl;
    const problem = durationProblem(wrapTtl, TTL_LIMITS.wrap);
    if (problem) throw new UsageError(`--wrap-ttl: ${problem}`);
    const controllers = selectControllers(config, argv.controller);
    const client = vaultClient(config, vaultToken(`issue wrapped secret IDs for site ${config.site} (\`maas-vault policy issuer\` prints such a policy)`));
    try {
      const issued = await report.step(`issuing ${controllers.length} wrapped secret IDs`, () =>
        issueCredentials(client, config, { controllers, wrapTtl, revokePrevious: argv.revokePrevious }),
      ).catch((error: unknown) => explainTokenRefusal(client, error));
      const result = {
        controllers: issued.map(({ name, role, roleId, wrappedToken, wrapTtl: ttl, expiresAt, secretIdAccessor, command }) => ({
          name, role, roleId, wrappedToken, wrapTtl: ttl, expiresAt, secretIdAccessor, command,
        })),
      };
      if (argv.out) writePrivateJson(argv.out, result);
      if (report.json) {
        report.data(result);
        return;
      }
      if (argv.revokePrevious) {
        const revoked = issued.reduce((sum, record) => sum + record.revoked, 0);
        report.note(`destroyed ${revoked} older secret ID${revoked === 1 ? '' : 's'}`);
      }
      if (argv.out) report.note(`wrote ${argv.out} (mode 0600)`);
      printConfigureCommands(report, issued.map((record) => ({ name: record.name, command: record.command, expiresAt: record.expiresAt })), wrapTtl);
    } finally {
      await client.close();
    }
  },
});

/** Written to a 0600 temporary file first, so the tokens are never readable by others, not even briefly. */
function writePrivateJson(path: string, value: unknown): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  renameSync(temporary, path);
}
