import type { Argv } from 'yargs';
import { defineCommand } from './define.js';
import { COMMAND_TEXT } from './texts.js';
import type { GlobalArgs } from '../context.js';
import { confirm, requireTerminalOrFlag } from '../prompt.js';
import { EXIT } from '../exit-codes.js';
import { withAutoApprove, type EngineArgs } from './engine-args.js';
import { openStackSession } from './stack-session.js';
import { destroyPlan, describeDestroyPlan, forgottenAddresses } from './destroy-plan.js';
import { dropPlan, optInsOf, planGuarded, withOptIns, type GuardedPlan, type OptInArgs } from './guarded-run.js';
import { lossSummary, PlanGuardError, refusePlan } from './plan-guard.js';
import type { PlannedResource } from '../../engine/engine.js';

export const destroyCommand = defineCommand<GlobalArgs & EngineArgs & OptInArgs>({
  ...COMMAND_TEXT.destroy,
  builder: (yargs: Argv<GlobalArgs>) =>
    withOptIns(withAutoApprove(yargs, 'destroy'), 'destroy')
      .example('VAULT_TOKEN=... $0 destroy --auto-approve', 'removes the roles, policy and created (empty) mounts of ./maas-vault.json')
      .example('VAULT_TOKEN=... $0 destroy --auto-approve --delete-secrets', 'also deletes a created KV mount that holds secrets'),
  handler: async (argv) => {
    if (!argv.autoApprove) requireTerminalOrFlag('destroy');
    const session = await openStackSession(argv, true, 'destroy');
    const { engine, report, config, client } = session;
    let guarded: GuardedPlan | undefined;
    try {
      const plan = await destroyPlan(client!, config, await session.stateResources());
      if (plan.resources === 0) {
        if (report.json) report.data({ destroyed: null, site: config.site, resources: 0 });
        else report.line(`Nothing to destroy: the state at ${session.statePath} holds no resources of site ${config.site}. Nothing was changed.`);
        return;
      }
      // What will go, and what stays, before anyone is asked.
      report.warn(describeDestroyPlan(config, plan).join('\n'));
      const forgotten = forgottenAddresses(plan);
      guarded = await planGuarded(session, 'destroy');
      // What is forgotten before the destroy runs is not deleted: not a loss.
      const findings = { ...guarded.findings, losses: guarded.findings.losses.filter((loss) => !forgotten.includes(loss.address)) };
      refusePlan(findings, optInsOf(argv), 'destroy', config);
      const losses = lossSummary(findings);
      if (losses.length > 0) report.warn([`this destroy will, as --delete-secrets allows:`, ...losses, SNAPSHOT_ADVICE].join('\n'));
      const question = `${losses.length > 0 ? `${losses.length} loss${losses.length === 1 ? '' : 'es'} listed above. ` : ''}Type the site name (${config.site}) to destroy it.`;
      if (!argv.autoApprove && !(await confirm(question, config.site))) {
        report.line('Destroy cancelled: nothing was changed.');
        process.exitCode = EXIT.failure;
        return;
      }
      session.markUnfinished();
      let saved = guarded.saved;
      if (forgotten.length > 0) {
        await session.engineStep(`${engine.binary.kind} state rm ${forgotten.join(' ')}`, () => engine.forget(forgotten));
        // The state changed, so the checked plan is stale: plan again, and apply it only if it is
        // the checked one without what was forgotten.
        dropPlan(guarded);
        const again = await planGuarded(session, 'destroy');
        guarded = again;
        const expected = describeChanges(saved.resources.filter((change) => !forgotten.includes(change.address)));
        if (describeChanges(again.saved.resources) !== expected) {
          throw new PlanGuardError(`destroy refused: the plan changed after ${forgotten.join(', ')} ${forgotten.length === 1 ? 'was' : 'were'} forgotten (something else changed the state meanwhile); Vault was not changed. Run \`maas-vault destroy\` again`);
        }
        saved = again.saved;
      }
      const finalPlan = saved;
      await session.engineStep(`${engine.binary.kind} destroy`, () => engine.applySaved(finalPlan));
      const left = (await session.stateResources()).length;
      if (left > 0) {
        throw new Error(`destroy left ${left} resource${left === 1 ? '' : 's'} of site ${config.site} in the state ${session.statePath}: run \`maas-vault destroy\` again`);
      }
      session.clearInterrupted();
      session.forgetSite();
      const destroyed = plan.resources - forgotten.length;
      if (report.json) {
        report.data({
          destroyed: config.site,
          resources: destroyed,
          keptApprole: plan.keepApprole ? { mount: config.approle.mount, otherRoles: plan.keepApprole.otherRoles.length } : null,
          ...(plan.keepKv ? { keptKv: { mount: config.kv.mount } } : {}),
        });
        return;
      }
      report.line(`Destroyed the maas-vault stack of site ${config.site}: ${destroyed} resources removed.`);
      if (plan.keepApprole && plan.keepApprole.otherRoles.length > 0) {
        report.line(
          `Kept the auth method ${config.approle.mount}/ with the ${plan.keepApprole.otherRoles.length} roles of others under it; this site no longer manages it ` +
            '(set approle.adopt: true before applying this site again).',
        );
      } else if (plan.keepApprole) {
        report.line(`Kept the auth method ${config.approle.mount}/ (approle.adopt is set); this site no longer manages it.`);
      }
      if (plan.keepKv) report.line(`Kept the KV mount ${config.kv.mount}/ and its data (kv.adopt is set); this site no longer manages it.`);
    } finally {
      dropPlan(guarded);
      await client?.close();
    }
  },
});

const SNAPSHOT_ADVICE = 'Take a snapshot first: `bao operator raft snapshot save FILE` (OpenBao) or `vault operator raft snapshot save FILE` (HashiCorp Vault).';

function describeChanges(changes: readonly PlannedResource[]): string {
  return changes.map((change) => `${change.address}:${change.actions.join('+')}`).sort().join('\n');
}
