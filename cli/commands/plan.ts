import type { Argv } from 'yargs';
import { defineCommand } from './define.js';
import { COMMAND_TEXT } from './texts.js';
import type { GlobalArgs } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { withEngine, withLockTimeout, type EngineArgs } from './engine-args.js';
import { openStackSession } from './stack-session.js';
import { adoptionCounts, adoptionRefusal, adoptionSummary } from './adoption-run.js';
import { dropPlan, planGuarded, type GuardedPlan } from './guarded-run.js';
import { describeFindings, OPT_INS, refusePlan } from './plan-guard.js';
import { printAdoption } from '../present-adoption.js';

interface PlanArgs extends GlobalArgs, EngineArgs {
  detailedExitcode: boolean;
}

/** Terraform's -detailed-exitcode: what CI branches on. Errors then exit 1 (see main.ts). */
const CHANGES_PRESENT = 2;

export const planCommand = defineCommand<PlanArgs>({
  ...COMMAND_TEXT.plan,
  builder: (yargs: Argv<GlobalArgs>) =>
    withLockTimeout(withEngine(yargs))
      .option('detailed-exitcode', {
        type: 'boolean',
        default: false,
        describe: 'exit 0 when there are no changes, 2 when there are, 1 on any error (as terraform plan -detailed-exitcode)',
      })
      .example('VAULT_TOKEN=... $0 plan', 'plans the stack of ./maas-vault.json')
      .example('$0 plan --detailed-exitcode -q', 'for CI: 0 no changes, 2 changes, 1 error'),
  handler: async (argv) => {
    const session = await openStackSession(argv, true, 'plan');
    let guarded: GuardedPlan | undefined;
    try {
      const { report } = session;
      if (session.adoption && !report.json) printAdoption(report, session.adoption);
      // The same plan and check as apply's, so plan says what apply would refuse or forget.
      guarded = await planGuarded(session, 'plan');
      const { saved, findings } = guarded;
      const refusal = session.adoption ? adoptionRefusal(saved) : undefined;
      const counts = session.adoption ? adoptionCounts(saved) : undefined;
      let guardRefusal: string | undefined;
      try {
        refusePlan(findings, {}, 'apply', session.config);
      } catch (error) {
        guardRefusal = (error as Error).message.replace(
          /^apply refused before changing anything in Vault \(nothing was changed\):/,
          'apply would refuse this plan unless allowed:',
        );
      }
      if (report.json) {
        report.data({
          changes: saved.changes,
          ...(session.adoption ? { adoption: { ...session.adoption, imports: undefined, plan: counts, refusal } } : {}),
          ...(findings.forgets.length > 0 ? { forgets: findings.forgets } : {}),
          ...(findings.losses.length > 0
            ? { losses: findings.losses.map(({ kind, address, why }) => ({ kind, address, why, optIn: OPT_INS[kind].flag })) }
            : {}),
          ...(findings.moves.length > 0 ? { moves: findings.moves } : {}),
        });
      } else {
        for (const line of describeFindings(findings)) report.line(line);
        if (counts) report.line(adoptionSummary(counts));
        report.line(
          saved.changes
            ? report.paint(`Vault differs from the config: \`maas-vault apply\` would ${session.adoption ? 'import and change' : 'change'} it.`, 'yellow')
            : report.paint('No changes: Vault matches the config.', 'green'),
        );
      }
      if (guardRefusal) report.warn(guardRefusal);
      if (refusal) {
        report.warn(`apply would refuse this plan: ${refusal}`);
        process.exitCode = EXIT.failure;
      } else if (argv.detailedExitcode && saved.changes) process.exitCode = CHANGES_PRESENT;
      else process.exitCode = EXIT.ok;
    } finally {
      dropPlan(guarded);
      await session.client?.close();
    }
  },
});
