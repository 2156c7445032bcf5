import type { Argv } from 'yargs';
import { defineCommand } from './define.js';
import type { GlobalArgs } from '../context.js';
import { printConfigureCommands } from '../present.js';
import { MIGRATE_COMMAND } from '../../stacks/commands.js';
import { withEngine, type EngineArgs } from './engine-args.js';
import { openStackSession } from './stack-session.js';
import { appliedControllers } from './stack-outputs.js';

export const outputCommand = defineCommand<GlobalArgs & EngineArgs>({
  command: 'output',
  describe: 'Print role IDs, wrapping tokens and configure commands of the applied stack (reads state only)',
  builder: (yargs: Argv<GlobalArgs>) => withEngine(yargs).example('$0 output --json', 'machine-readable, wrapping tokens included'),
  handler: async (argv) => {
    const session = await openStackSession(argv, false);
    const controllers = await appliedControllers(session.engine);
    if (controllers.length === 0) {
      session.report.line('The stack has not been applied yet: run `maas-vault apply`.');
      return;
    }
    if (session.report.json) {
      session.report.data({ controllers, migrateCommand: MIGRATE_COMMAND });
      return;
    }
    for (const controller of controllers) {
      session.report.line(`${controller.name}: role ${controller.role}, role ID ${controller.roleId}, secret-ID accessor ${controller.secretIdAccessor}`);
    }
    session.report.line();
    printConfigureCommands(session.report, controllers, session.config.wrapTtl);
  },
});
