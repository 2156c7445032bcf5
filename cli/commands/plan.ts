import type { Argv } from 'yargs';
import { defineCommand } from './define.js';
import type { GlobalArgs } from '../context.js';
import { withEngine, withLockTimeout, type EngineArgs } from './engine-args.js';
import { openStackSession } from './stack-session.js';

export const planCommand = defineCommand<GlobalArgs & EngineArgs>({
  command: 'plan',
  describe: 'Show what apply would change in Vault',
  builder: (yargs: Argv<GlobalArgs>) => withLockTimeout(withEngine(yargs)).example('VAULT_TOKEN=... $0 plan', 'plans the stack of ./maas-vault.json'),
  handler: async (argv) => {
    const session = await openStackSession(argv, true, 'plan');
    try {
      const result = await session.engineStep(`${session.engine.binary.kind} plan`, () => session.engine.plan());
      if (session.report.json) session.report.data({ changes: result.changes });
      else session.report.line(result.changes ? 'Vault differs from the config: `maas-vault apply` would change it.' : 'No changes: Vault matches the config.');
    } finally {
      await session.client?.close();
    }
  },
});
