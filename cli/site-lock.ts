/**
 * One lock per site for every command that changes Vault or the site's records (apply, destroy,
 * credentials, rotate, rotate --finish, revoke, encrypt-state): the work directory's lock
 * (engine/lock.ts), waited for `--lock-timeout` (default MAAS_VAULT_LOCK_WAIT) and named by its
 * holder when it is not released in time. Read-only commands take none.
 *
 * With `state.backend: pg` the command also takes the engines' own lock on the site's state row in
 * PostgreSQL (engine/pg-state.ts), the one every plan, apply and destroy takes, so admins on
 * different machines wait for each other too.
 *
 * Under it, `credentials` and `rotate` read the revocation record and `rotate` reads and writes
 * its rotation record, so a revoke or a second rotate can never slip in between the read and the
 * write.
 */
import type { MaasVaultConfig } from '../config/index.js';
import { lockWaitSeconds, lockWorkDir } from '../engine/lock.js';
import { engineApplicationName, requirePgConnection } from '../engine/pg-connection.js';
import { stateSchemaName } from '../stacks/state-schema.js';
import { lockTimeoutSeconds } from './commands/engine-args.js';
import { pgLockHolder, StateLockedError } from './commands/state-lock.js';

export type ReleaseLock = () => void;

/** Seconds to wait for the site's lock: `--lock-timeout`, else MAAS_VAULT_LOCK_WAIT (checked before Vault is called). */
export function siteLockSeconds(lockTimeout: string | undefined): number {
  return lockTimeout === undefined ? lockWaitSeconds() : lockTimeoutSeconds(lockTimeout);
}

/** Takes the site's lock for `command` (e.g. "credentials"), waiting `seconds` for a live holder. */
export async function lockSite(config: MaasVaultConfig, command: string, seconds: number): Promise<ReleaseLock> {
  if (config.state.backend === 'pg') requirePgConnection(process.env);
  const release = await lockWorkDir(config.workDir, `maas-vault ${command}`, seconds);
  if (config.state.backend !== 'pg') return release;
  try {
    const { lockPgState } = await import('../engine/pg-state.js');
    const releasePg = await lockPgState(stateSchemaName(config), `${engineApplicationName()} ${command}`.slice(0, 63), seconds);
    if (!releasePg) {
      throw new StateLockedError(
        `the state of site ${config.site} (in PostgreSQL schema ${stateSchemaName(config)}) is locked by another run: ${await pgLockHolder(config)}. ` +
          `Waited ${seconds}s (--lock-timeout). Nothing was changed: run again once that run has finished, or with a longer --lock-timeout. ` +
          'A run that was killed releases the lock by itself (with its database connection)',
      );
    }
    return () => {
      void releasePg();
      release();
    };
  } catch (error) {
    release();
    throw error;
  }
}

/** The work directory cannot be written (read-only file system, no permission): a lock file cannot be made there. */
export function isUnwritable(error: unknown): error is NodeJS.ErrnoException {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EROFS' || code === 'EACCES' || code === 'EPERM';
}
