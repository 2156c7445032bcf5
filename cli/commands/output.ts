import { existsSync } from 'node:fs';
import type { Argv } from 'yargs';
import { defineCommand } from './define.js';
import { openContext, type GlobalArgs } from '../context.js';
import { printConfigureCommands, printIssuerHandOff } from '../present.js';
import { OUTPUTS } from '../../stacks/output-names.js';
import { readBackendOutputs } from '../../engine/state.js';
import { MIGRATE_COMMAND } from '../../stacks/commands.js';
import { workLayout } from '../../stacks/work-layout.js';
import { withEngine, type EngineArgs } from './engine-args.js';
import { openStackSession } from './stack-session.js';
import { controllersFromOutputs } from './stack-outputs.js';

export const outputCommand = defineCommand<GlobalArgs & EngineArgs>({
  command: 'output',
  describe: 'Print role IDs, wrapping tokens and configure commands of the applied stack (reads state only)',
  builder: (yargs: Argv<GlobalArgs>) => withEngine(yargs).example('$0 output --json', 'machine-readable, wrapping tokens included'),
  handler: async (argv) => {
    const { config, report } = openContext(argv);
    const { statePath } = workLayout(config);
    // The state file or pg row is read directly when it can be: no synth, no engine, no Vault token.
    let outputs = await readBackendOutputs(config, statePath);
    // Encrypted state is read by the engine, which holds the passphrase.
    if (!outputs && (config.state.encryption || (config.state.backend === 'local' && existsSync(statePath)))) outputs = await (await openStackSession(argv, false)).engine.outputs();
    const controllers = controllersFromOutputs(outputs ?? {});
    if (controllers.length === 0) {
      report.line('The stack has not been applied yet: run `maas-vault apply`.');
      return;
    }
    const issuerRole = outputs?.[OUTPUTS.issuerRoleName]?.value;
    const issuerRoleId = outputs?.[OUTPUTS.issuerRoleId]?.value;
    const issuer = typeof issuerRole === 'string' && typeof issuerRoleId === 'string' ? { role: issuerRole, roleId: issuerRoleId } : undefined;
    if (report.json) {
      report.data({ controllers, migrateCommand: MIGRATE_COMMAND, ...(issuer ? { issuer } : {}) });
      return;
    }
    for (const controller of controllers) {
      report.line(`${controller.name}: role ${controller.role}, role ID ${controller.roleId}, secret-ID accessor ${controller.secretIdAccessor}`);
    }
    report.line();
    const revoked = new Set(config.controllers.filter((controller) => controller.revoked).map((controller) => controller.name));
    printConfigureCommands(
      report,
      controllers.map((controller) => (revoked.has(controller.name) ? { ...controller, unusable: 'revoked ("revoked": true in the config): no secret ID is issued for it' } : controller)),
      config.wrapTtl,
    );
    if (issuer) printIssuerHandOff(report, issuer.role, issuer.roleId);
  },
});
