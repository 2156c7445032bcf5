import type { Argv } from 'yargs';
import { UsageError } from '../exit-codes.js';

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

/** `--lock-timeout 5s` (or ms, m, h) in whole seconds, rounded up; a usage error otherwise. */
export function lockTimeoutSeconds(value: string): number {
  const match = /^(\d{1,6})(ms|s|m|h)$/.exec(value);
  if (!match) throw new UsageError(`--lock-timeout ${JSON.stringify(value).slice(0, 40)}: write a duration such as 5s, 30s or 2m`);
  const scale = { ms: 0.001, s: 1, m: 60, h: 3600 }[match[2] as 'ms' | 's' | 'm' | 'h'];
  return Math.ceil(Number(match[1]) * scale);
}
