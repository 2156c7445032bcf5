import type { Argv } from 'yargs';

export interface EngineArgs {
  engine?: string;
  autoApprove?: boolean;
  lockTimeout?: string;
}

/** plan, apply and destroy take the state lock: a second one waits this long, then fails naming the holder. */
export function withLockTimeout<T>(yargs: Argv<T>) {
  return yargs.option('lock-timeout', {
    type: 'string',
    describe: 'how long to wait for the lock held by another run of this site (e.g. 30s, 2m; 0s fails at once; default MAAS_VAULT_LOCK_WAIT seconds, 10)',
  });
}

/** apply and destroy change Vault: on a terminal they ask, elsewhere they need the flag. */
export function withAutoApprove<T>(yargs: Argv<T>, verb: string) {
  return withLockTimeout(withEngine(yargs)).option('auto-approve', {
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
