import type { Argv } from 'yargs';
import { defineCommand } from './define.js';
import { openContext, type GlobalArgs } from '../context.js';
import { adoptedRoles, issuerPolicyName, roleName } from '../../config/index.js';
import { formatDuration } from '../../config/duration.js';
import { TTL_LIMITS } from '../../config/rules.js';
import { renderAdminPolicy, renderIssuerPolicy, renderMaasPolicy } from '../../policies/render.js';

interface PolicyArgs extends GlobalArgs {
  which: 'maas' | 'issuer' | 'admin';
}

export const policyCommand = defineCommand<PolicyArgs>({
  command: 'policy <which>',
  describe: 'Print a rendered policy: maas (region controllers), issuer (CI), admin (whoever applies the stack)',
  builder: (yargs: Argv<GlobalArgs>) =>
    yargs
      .positional('which', { choices: ['maas', 'issuer', 'admin'] as const, demandOption: true })
      .example('$0 policy admin > maas-admin.hcl && vault policy write maas-admin maas-admin.hcl', 'a token for admins who apply the stack'),
  handler: async (argv) => {
    const { config, report } = openContext(argv);
    const text =
      argv.which === 'maas'
        ? renderMaasPolicy({ mount: config.kv.mount, path: config.secretsPath, profile: config.policy.profile, lookupSelf: config.policy.lookupSelf })
        : argv.which === 'issuer'
          ? renderIssuerPolicy({
              site: config.site,
              roles: config.controllers.map((controller) => roleName(config, controller.name)),
              maxWrapTtl: formatDuration(TTL_LIMITS.wrap.max),
            })
          : renderAdminPolicy({
              site: config.site,
              mount: config.kv.mount,
              policy: config.policy.name,
              issuerPolicy: issuerPolicyName(config),
              adoptedRoles: [...adoptedRoles(config).values()],
            });
    if (report.json) report.data({ policy: text });
    else process.stdout.write(text);
  },
});
