import type { Argv } from 'yargs';
import { defineCommand } from './define.js';
import type { GlobalArgs } from '../context.js';
import { confirm, requireTerminalOrFlag } from '../prompt.js';
import { printConfigureCommands } from '../present.js';
import { EXIT } from '../exit-codes.js';
import { MIGRATE_COMMAND } from '../../stacks/commands.js';
import { lookupWrappingToken } from '../../vault/approle.js';
import { withAutoApprove, type EngineArgs } from './engine-args.js';
import { openStackSession } from './stack-session.js';
import { explainEngineFailure } from './engine-failure.js';
import { appliedControllers, controllersFromOutputs } from './stack-outputs.js';
import { readStateOutputs } from '../../engine/state.js';
import { adoptedRoles } from '../../config/index.js';
import { adoptionSummary, planAdoptionRun, refuse, removePlanFile, type AdoptionRun } from './adoption-run.js';

export const applyCommand = defineCommand<GlobalArgs & EngineArgs>({
  command: 'apply',
  describe: 'Create or update approle, the KV mount, the MAAS policy and one AppRole per region controller; print their configure commands',
  builder: (yargs: Argv<GlobalArgs>) =>
    withAutoApprove(yargs, 'apply')
      .example('VAULT_TOKEN=... $0 apply --config maas-vault.yaml', 'shows the plan, asks, applies, prints the commands'),
  handler: async (argv) => {
    if (!argv.autoApprove) requireTerminalOrFlag('apply');
    const session = await openStackSession(argv, true, true);
    const { engine, report, config, client } = session;
    let adoption: AdoptionRun | undefined;
    try {
      if (session.adoption) {
        adoption = await planAdoptionRun({ ...session, adoption: session.adoption });
        if (adoption.refusal) refuse(adoption);
        if (!report.json) report.line(adoptionSummary(adoption));
        if (!argv.autoApprove && adoption.saved.changes && !(await confirm(`Import and apply these changes to Vault at ${config.vault.address}?`))) {
          report.line('Apply cancelled: nothing was imported or changed.');
          process.exitCode = EXIT.failure;
          return;
        }
      } else if (!argv.autoApprove) {
        const plan = await report.step(`${engine.binary.kind} plan`, () => engine.plan());
        if (plan.changes && !(await confirm(`Apply these changes to Vault at ${config.vault.address}?`))) {
          report.line('Apply cancelled: nothing was changed.');
          process.exitCode = EXIT.failure;
          return;
        }
      }
      const before = new Set(existingTokens(session.statePath));
      const planned = adoption;
      await report.step(`${engine.binary.kind} apply`, () => (planned ? engine.applySaved(planned.planFile) : engine.apply())).catch(async (error) => {
        throw await explainEngineFailure(error, client, 'apply');
      });
      const { protectState } = await import('../../engine/stack-runner.js');
      protectState(session.statePath);
      const controllers = await appliedControllers(engine, session.statePath);
      // A re-apply keeps the secret IDs MAAS already unwrapped; their tokens may be spent, so ask
      // Vault about those. A token this apply just issued is fresh: no need to ask.
      const usable = await Promise.all(
        controllers.map((controller) => {
          if (!controller.wrappedToken) return false;
          if (!before.has(controller.wrappedToken)) return true;
          return lookupWrappingToken(client!, controller.wrappedToken).then(
            () => true,
            () => false,
          );
        }),
      );
      if (report.json) {
        report.data({
          controllers: controllers.map((controller, index) => ({ ...controller, wrappedTokenUsable: usable[index] })),
          migrateCommand: MIGRATE_COMMAND,
          ...(session.adoption && adoption
            ? { adoption: { importing: session.adoption.importing, creating: session.adoption.creating, differences: session.adoption.differences, plan: adoption.counts } }
            : {}),
        });
        return;
      }
      report.line(`Applied: site ${config.site}, ${controllers.length} region controllers, policy ${config.policy.name}.`);
      report.line();
      if (!config.stackSecretIds && adoptedRoles(config).size > 0) {
        report.line('Region controllers on adopted roles keep the secret IDs they run on: nothing to run on them.');
        report.line('New secret IDs come from `maas-vault credentials` (a new region) or `maas-vault rotate` (a running one).');
        return;
      }
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
          unusable: usable[index]
            ? undefined
            : `wrapping token already used or expired: run \`maas-vault credentials --controller ${controller.name}\` for a fresh one`,
        })),
        config.wrapTtl,
      );
    } finally {
      removePlanFile(adoption);
      await client?.close();
    }
  },
});

/** Wrapping tokens already in the state before this apply. */
function existingTokens(statePath: string): string[] {
  const outputs = readStateOutputs(statePath);
  return outputs ? controllersFromOutputs(outputs).flatMap((controller) => (controller.wrappedToken ? [controller.wrappedToken] : [])) : [];
}
