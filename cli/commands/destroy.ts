import type { Argv } from 'yargs';
import { defineCommand } from './define.js';
import type { GlobalArgs } from '../context.js';
import { confirm, requireTerminalOrFlag } from '../prompt.js';
import { EXIT } from '../exit-codes.js';
import { withAutoApprove, type EngineArgs } from './engine-args.js';
import { openStackSession } from './stack-session.js';
import { explainEngineFailure } from './engine-failure.js';
import { explainStateLock } from './state-lock.js';

export const destroyCommand = defineCommand<GlobalArgs & EngineArgs>({
  command: 'destroy',
  describe: 'Remove what the stack created (adopted mounts and their data are left alone)',
  builder: (yargs: Argv<GlobalArgs>) =>
    withAutoApprove(yargs, 'destroy')
      .example('VAULT_TOKEN=... $0 destroy --auto-approve', 'removes the roles, policy and created mounts of ./maas-vault.json'),
  handler: async (argv) => {
    if (!argv.autoApprove) requireTerminalOrFlag('destroy');
    const session = await openStackSession(argv, true);
    const { engine, report, config, client } = session;
    try {
      const kvFate = config.kv.adopt
        ? `the adopted KV mount ${config.kv.mount}/ and its data stay`
        : `the KV mount ${config.kv.mount}/ and EVERY SECRET IN IT are deleted`;
      report.warn(
        `destroy removes the MAAS roles and policy of site ${config.site}, so no region controller can log in again; ${kvFate}. ` +
          'If MAAS was migrated to this Vault (`maas config-vault migrate`), MAAS loses its secrets.',
      );
      if (!argv.autoApprove && !(await confirm(`Type the site name (${config.site}) to destroy it.`, config.site))) {
        report.line('Destroy cancelled: nothing was changed.');
        process.exitCode = EXIT.failure;
        return;
      }
      await report.step(`${engine.binary.kind} destroy`, () => engine.destroy()).catch(async (error) => {
        throw await explainEngineFailure(await explainStateLock(error, config, engine.lockTimeout), client, 'destroy');
      });
      if (report.json) report.data({ destroyed: config.site });
      else report.line(`Destroyed the maas-vault stack of site ${config.site}.`);
    } finally {
      await client?.close();
    }
  },
});
