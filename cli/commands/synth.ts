import type { Argv } from 'yargs';
import { defineCommand } from './define.js';
import { COMMAND_TEXT } from './texts.js';
import { openContext, type GlobalArgs } from '../context.js';

export const synthCommand = defineCommand<GlobalArgs>({
  ...COMMAND_TEXT.synth,
  builder: (yargs: Argv<GlobalArgs>) =>
    yargs.example('$0 synth --config examples/maas-vault.json', 'writes .maas-vault/lab/cdktf.out/stacks/maas-vault-lab/cdk.tf.json'),
  handler: async (argv) => {
    const { config, report } = openContext(argv);
    const { synthStack } = await import('../../stacks/synth.js');
    const { rotationManagedControllers } = await import('../../vault/rotation-record.js');
    const result = synthStack(config, undefined, await rotationManagedControllers(config));
    if (report.json) report.data({ stackDir: result.stackDir, json: result.jsonPath });
    else report.line(result.jsonPath);
  },
});
