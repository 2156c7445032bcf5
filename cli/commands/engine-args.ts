import type { Argv } from 'yargs';

export interface EngineArgs {
  engine?: string;
  autoApprove?: boolean;
}

/** apply and destroy change Vault: on a terminal they ask, elsewhere they need the flag. */
export function withAutoApprove<T>(yargs: Argv<T>, verb: string) {
  return withEngine(yargs).option('auto-approve', {
    type: 'boolean',
    default: false,
    describe: `${verb} without asking (required when not on a terminal)`,
  });
}

export function withEngine<T>(yargs: Argv<T>) {
  return yargs.option('engine', {
    type: 'string',
    describe: 'tofu, terraform, or a path to either (default: tofu, then terraform, from PATH; or MAAS_VAULT_ENGINE)',
  });
}
