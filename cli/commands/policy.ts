import type { Argv } from 'yargs';
import { defineCommand } from './define.js';
import { COMMAND_TEXT } from './texts.js';
import { openContext, type GlobalArgs } from '../context.js';
import { issuerPolicyFor, maasPolicyFor, renderAdminPolicy } from '../../policies/render.js';

interface PolicyArgs extends GlobalArgs {
  which: 'maas' | 'issuer' | 'admin';
}

export const policyCommand = defineCommand<PolicyArgs>({
  ...COMMAND_TEXT.policy,
  builder: (yargs: Argv<GlobalArgs>) =>
    yargs.positional('which', { choices: ['maas', 'issuer', 'admin'] as const, demandOption: true }).example(
      '$0 policy admin > maas-admin-lab.hcl && bao policy write maas-admin-lab maas-admin-lab.hcl',
      // No server is asked for --help, so both CLIs are named, in the house form of cliCommand.
      "for admins who apply site lab's stack (or `vault policy write …` on HashiCorp Vault): " +
        "plan and apply say when to re-write it, under the token's policy name",
    ),
  handler: async (argv) => {
    const { config, report } = openContext(argv);
    const text = argv.which === 'maas' ? maasPolicyFor(config) : argv.which === 'issuer' ? issuerPolicyFor(config) : renderAdminPolicy(config);
    if (report.json) report.data({ policy: text });
    else process.stdout.write(text);
  },
});
