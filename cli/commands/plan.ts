import type { Argv } from 'yargs';
import { defineCommand } from './define.js';
import type { GlobalArgs } from '../context.js';
import { withEngine, withLockTimeout, type EngineArgs } from './engine-args.js';
import { openStackSession } from './stack-session.js';
import { adoptionSummary, planAdoptionRun, removePlanFile } from './adoption-run.js';
import { EXIT } from '../exit-codes.js';

export const planCommand = defineCommand<GlobalArgs & EngineArgs>({
  command: 'plan',
  describe: 'Show what apply would change in Vault',
  builder: (yargs: Argv<GlobalArgs>) => withLockTimeout(withEngine(yargs)).example('VAULT_TOKEN=... $0 plan', 'plans the stack of ./maas-vault.json'),
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
        }
        return;
      }
      const result = await session.engineStep(`${session.engine.binary.kind} plan`, () => session.engine.plan());
      if (session.report.json) session.report.data({ changes: result.changes });
      else session.report.line(result.changes ? 'Vault differs from the config: `maas-vault apply` would change it.' : 'No changes: Vault matches the config.');
    } finally {
      await session.client?.close();
    }
  },
});
