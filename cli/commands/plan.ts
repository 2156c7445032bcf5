import type { Argv } from 'yargs';
import { defineCommand } from './define.js';
import { COMMAND_TEXT } from './texts.js';
import type { GlobalArgs } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { withEngine, withLockTimeout, type EngineArgs } from './engine-args.js';
import { openStackSession } from './stack-session.js';
import { adoptionSummary, planAdoptionRun, removePlanFile } from './adoption-run.js';

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
    try {
      if (session.adoption) {
        const run = await planAdoptionRun({ ...session, adoption: session.adoption });
        removePlanFile(run);
        if (session.report.json) {
          session.report.data({ changes: run.saved.changes, adoption: { ...session.adoption, imports: undefined, plan: run.counts, refusal: run.refusal } });
        } else {
          session.report.line(adoptionSummary(run));
          session.report.line(run.saved.changes ? 'Vault differs from the config: `maas-vault apply` would import and change it.' : 'No changes: Vault matches the config.');
        }
        if (run.refusal) {
          session.report.warn(`apply would refuse this plan: ${run.refusal}`);
          process.exitCode = EXIT.failure;
        } else if (argv.detailedExitcode && run.saved.changes) process.exitCode = CHANGES_PRESENT;
        return;
      }
      const result = await session.engineStep(`${session.engine.binary.kind} plan`, () => session.engine.plan());
      if (session.report.json) session.report.data({ changes: result.changes });
      else session.report.line(result.changes ? session.report.paint('Vault differs from the config: `maas-vault apply` would change it.', 'yellow') : session.report.paint('No changes: Vault matches the config.', 'green'));
      if (argv.detailedExitcode && result.changes) process.exitCode = CHANGES_PRESENT;
      else process.exitCode = EXIT.ok;
    } finally {
      await session.client?.close();
    }
  },
});
