/**
 * A second plan, apply or destroy of a site waits `--lock-timeout` for the state lock, then fails.
 * The engine's own message is long and, for the pg backend, describes the waiting run rather than
 * the holder (its lock is a PostgreSQL advisory lock that records nothing): this names the holder.
 */
import type { MaasVaultConfig } from '../../config/index.js';
import { stateSchemaName } from '../../stacks/state-schema.js';
import { explainDecryption } from './state-decrypt.js';
import { engineOutput } from '../../engine/errors.js';

export class StateLockedError extends Error {
  override name = 'StateLockedError';
  readonly exitCode = 1;
}

/** Also turns a wrong state passphrase into its one line (see state-decrypt.ts). */
export async function explainStateLock(error: unknown, config: MaasVaultConfig, lockTimeout: string): Promise<unknown> {
  const decryption = explainDecryption(error, config);
  if (decryption) return decryption;
  const output = engineOutput(error);
  if (!output || !/Error acquiring the state lock/i.test(output)) return error;
  let holder: string;
  // `init` of two runs in one work directory meet on the engine's local backend settings file.
  const local = config.state.backend !== 'pg' || /Path:\s*\.terraform\/terraform\.tfstate/.test(output);
  if (!local) {
    holder = await pgLockHolder(config);
  } else {
    const who = /Who:\s*(.+)/.exec(output)?.[1]?.trim();
    const since = /Created:\s*(.+)/.exec(output)?.[1]?.trim();
    holder = who ? `${who}${since ? `, since ${since}` : ''}` : 'another run';
  }
  const where = !local ? `in PostgreSQL schema ${stateSchemaName(config)}` : `in ${config.workDir}`;
  return new StateLockedError(
    `the state of site ${config.site} (${where}) is locked by another plan, apply or destroy: ${holder}. ` +
      `Waited ${lockTimeout} (--lock-timeout). Nothing was changed: run again once that run has finished, or with a longer --lock-timeout. ` +
      'A run that was killed releases the lock by itself (with its database connection, or its file lock)',
  );
}

/**
 * Who holds a lock of the site in PostgreSQL, as the lock messages name it: the engines' lock on the
 * state row (what an engine waited for), or with `which: 'site'` maas-vault's own site lock
 * (engine/pg-site-lock.ts), which a run waiting for it does not hold itself.
 */
export async function pgLockHolder(config: MaasVaultConfig, which: 'state' | 'site' = 'state'): Promise<string> {
  const schema = stateSchemaName(config);
  const found =
    which === 'site'
      ? await (await import('../../engine/pg-site-lock.js')).pgSiteLockHolder(schema).catch(() => undefined)
      : await (await import('../../engine/pg-state.js')).findLockHolder(schema).catch(() => undefined);
  return found
    ? `${found.who} (database user ${found.databaseUser}${found.clientAddress ? ` from ${found.clientAddress}` : ''}), connected since ${found.since}`
    : 'a run that has just finished or that PostgreSQL cannot name';
}
