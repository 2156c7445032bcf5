import type { Argv } from 'yargs';

export interface EngineArgs {
  engine?: string;
  autoApprove?: boolean;
}

export function withEngine<T>(yargs: Argv<T>) {
  return yargs.option('engine', {
    type: 'string',
    describe: 'tofu, terraform, or a path to either (default: tofu, then terraform, from PATH; or MAAS_VAULT_ENGINE)',
  });
}
