import type { Argv } from 'yargs';
import { defineCommand } from './define.js';
import { COMMAND_TEXT } from './texts.js';
import type { GlobalArgs } from '../context.js';
import { confirm, requireTerminalOrFlag } from '../prompt.js';
import { EXIT } from '../exit-codes.js';
import { withAutoApprove, type EngineArgs } from './engine-args.js';
import { openStackSession } from './stack-session.js';
import { destroyPlan, describeDestroyPlan } from './destroy-plan.js';

export const destroyCommand = defineCommand<GlobalArgs & EngineArgs>({
  ...COMMAND_TEXT.destroy,
  builder: (yargs: Argv<GlobalArgs>) =>
    withAutoApprove(yargs, 'destroy')
      .example('VAULT_TOKEN=... $0 destroy --auto-approve', 'removes the roles, policy and created mounts of ./maas-vault.json'),
  handler: async (argv) => {
    if (!argv.autoApprove) requireTerminalOrFlag('destroy');
    const session = await openStackSession(argv, true, 'destroy');
    const { engine, report, config, client } = session;
    try {
      const plan = await destroyPlan(client!, config, await session.stateResources());
      if (plan.resources === 0) {
        if (report.json) report.data({ destroyed: null, site: config.site, resources: 0 });
        else report.line(`Nothing to destroy: the state at ${session.statePath} holds no resources of site ${config.site}. Nothing was changed.`);
        return;
      }
      // What will go, and what stays, before anyone is asked.
      report.warn(describeDestroyPlan(config, plan).join('\n'));
      if (!argv.autoApprove && !(await confirm(`Type the site name (${config.site}) to destroy it.`, config.site))) {
        report.line('Destroy cancelled: nothing was changed.');
        process.exitCode = EXIT.failure;
        return;
      }
      session.markUnfinished();
      if (plan.keepApprole) {
        await session.engineStep(`${engine.binary.kind} state rm ${plan.keepApprole.address}`, () => engine.forget([plan.keepApprole!.address]));
      }
      await session.engineStep(`${engine.binary.kind} destroy`, () => engine.destroy());
      const left = (await session.stateResources()).length;
      if (left > 0) {
        throw new Error(`destroy left ${left} resource${left === 1 ? '' : 's'} of site ${config.site} in the state ${session.statePath}: run \`maas-vault destroy\` again`);
      }
      session.clearInterrupted();
      const destroyed = plan.resources - (plan.keepApprole ? 1 : 0);
      if (report.json) {
        report.data({ destroyed: config.site, resources: destroyed, keptApprole: plan.keepApprole ? { mount: config.approle.mount, otherRoles: plan.keepApprole.otherRoles.length } : null });
        return;
      }
      report.line(`Destroyed the maas-vault stack of site ${config.site}: ${destroyed} resources removed.`);
      if (plan.keepApprole) {
        report.line(
          `Kept the auth method ${config.approle.mount}/ with the ${plan.keepApprole.otherRoles.length} roles of others under it; this site no longer manages it ` +
            '(set approle.adopt: true before applying this site again).',
        );
      }
    } finally {
      await client?.close();
    }
  },
});
