import type { Argv } from 'yargs';
import { defineCommand } from './define.js';
import type { GlobalArgs } from '../context.js';
import { confirm, requireTerminalOrFlag } from '../prompt.js';
import { printConfigureCommands, spentTokenNote } from '../present.js';
import { wrappingTokenUsability } from './token-usability.js';
import { EXIT } from '../exit-codes.js';
import { MIGRATE_COMMAND } from '../../stacks/commands.js';
import { withAutoApprove, type EngineArgs } from './engine-args.js';
import { openStackSession } from './stack-session.js';
import { explainEngineFailure } from './engine-failure.js';
import { appliedControllers, controllersFromOutputs } from './stack-outputs.js';
import { readStateOutputs } from '../../engine/state.js';

export const applyCommand = defineCommand<GlobalArgs & EngineArgs>({
  command: 'apply',
  describe: 'Create or update approle, the KV mount, the MAAS policy and one AppRole per region controller; print their configure commands',
  builder: (yargs: Argv<GlobalArgs>) =>
    withAutoApprove(yargs, 'apply')
      .example('VAULT_TOKEN=... $0 apply --config maas-vault.yaml', 'shows the plan, asks, applies, prints the commands'),
  handler: async (argv) => {
    if (!argv.autoApprove) requireTerminalOrFlag('apply');
    const session = await openStackSession(argv, true);
    const { engine, report, config, client } = session;
    try {
      if (!argv.autoApprove) {
        const plan = await report.step(`${engine.binary.kind} plan`, () => engine.plan());
        if (plan.changes && !(await confirm(`Apply these changes to Vault at ${config.vault.address}?`))) {
          report.line('Apply cancelled: nothing was changed.');
          process.exitCode = EXIT.failure;
          return;
        }
      }
      const before = new Set(existingTokens(session.statePath));
      await report.step(`${engine.binary.kind} apply`, () => engine.apply()).catch(async (error) => {
        throw await explainEngineFailure(error, client, 'apply');
      });
      const { protectState } = await import('../../engine/stack-runner.js');
      protectState(session.statePath);
      const controllers = await appliedControllers(engine, session.statePath);
      // A re-apply keeps the secret IDs MAAS already unwrapped; their tokens may be spent, so ask
      // Vault about those. A token this apply just issued is fresh: no need to ask.
      const { usable } = await wrappingTokenUsability(client!, controllers, new Set(controllers.flatMap((controller) => (controller.wrappedToken && !before.has(controller.wrappedToken) ? [controller.wrappedToken] : []))));
      if (report.json) {
        report.data({
          controllers: controllers.map((controller, index) => ({ ...controller, wrappedTokenUsable: usable[index] ?? false })),
          migrateCommand: MIGRATE_COMMAND,
        });
        return;
      }
      report.line(`Applied: site ${config.site}, ${controllers.length} region controllers, policy ${config.policy.name}.`);
      report.line();
      if (!config.stackSecretIds) {
        report.line('This site gets its secret IDs from `maas-vault credentials` (stackSecretIds: false): run it to hand each region controller its command.');
        report.line(`Then, once every region controller is configured, on one of them: ${MIGRATE_COMMAND}`);
        return;
      }
      printConfigureCommands(
        report,
        controllers.map((controller, index) => ({
          name: controller.name,
          command: controller.command,
          unusable: usable[index] === false ? spentTokenNote(controller.name) : undefined,
        })),
        config.wrapTtl,
      );
    } finally {
      await client?.close();
    }
  },
});

/** Wrapping tokens already in the state before this apply. */
function existingTokens(statePath: string): string[] {
  const outputs = readStateOutputs(statePath);
  return outputs ? controllersFromOutputs(outputs).flatMap((controller) => (controller.wrappedToken ? [controller.wrappedToken] : [])) : [];
}
