/**
 * One lock per site for every command that changes Vault or the site's records (apply, destroy,
 * credentials, rotate, rotate --finish, revoke, encrypt-state): the work directory's lock
 * (engine/lock.ts), waited for `--lock-timeout` (default MAAS_VAULT_LOCK_WAIT) and named by its
 * holder when it is not released in time. Read-only commands take none.
 *
 * With `state.backend: pg` the command also takes maas-vault's site lock in PostgreSQL
 * (engine/pg-site-lock.ts), so admins on different machines wait for each other too; commands that
 * change Vault without the engine also take the engines' own lock on the state row.
 *
 * Under it, `credentials` and `rotate` read the revocation record and `rotate` reads and writes
 * its rotation record, so a revoke or a second rotate can never slip in between the read and the
 * write.
 */
import { existsSync } from 'node:fs';
import type { MaasVaultConfig } from '../config/index.js';
import { lockWaitSeconds, lockWorkDir } from '../engine/lock.js';
import { engineApplicationName, requirePgConnection } from '../engine/pg-connection.js';
import { stateSchemaName } from '../stacks/state-schema.js';
import { lockTimeoutSeconds } from './commands/engine-args.js';
import { pgLockHolder, StateLockedError } from './commands/state-lock.js';
import type { PgSiteLock } from '../engine/pg-site-lock.js';
import { interrupts } from '../engine/interrupts.js';
import { isErroredStateError } from '../engine/errored-state.js';
import { EXIT } from './exit-codes.js';
import type { Reporter } from './reporter.js';

export type ReleaseLock = () => void;

/**
 * The lock of a command that changes Vault without the engine: called, it releases the lock.
 * `lost` is aborted when the site's lock in PostgreSQL is lost while held (its reason says how;
 * never for a local lock): the command then sends no further write to Vault, delivers and records
 * what it did, and releases. Until then the next holder stays fenced off (engine/pg-site-lock.ts).
 */
export type SiteLock = ReleaseLock & { readonly lost: AbortSignal };

/** A command that changes Vault without the engine stopped because its site lock was lost mid-run (exit 1, as for apply). */
export class SiteLockLostError extends Error {
  override name = 'SiteLockLostError';
  readonly exitCode = EXIT.failure;
}

/** `credentials stopped: it lost the site's lock, …`: what happened, then `account` (what was done, what was not, what to run). */
export function siteLockLostError(command: string, lost: AbortSignal, account: string): SiteLockLostError {
  return new SiteLockLostError(
    `${command} stopped: it lost the site's lock, ${String(lost.reason)}. Another admin's run may hold the lock now, ` +
      `so ${command} sent no further write to Vault. ${account}`,
  );
}

/** Seconds to wait for the site's lock: `--lock-timeout`, else MAAS_VAULT_LOCK_WAIT (checked before Vault is called). */
export function siteLockSeconds(lockTimeout: string | undefined): number {
  return lockTimeout === undefined ? lockWaitSeconds() : lockTimeoutSeconds(lockTimeout);
}

/** Takes the site's lock for `command` (e.g. "credentials"), waiting `seconds` for a live holder. */
export async function lockSite(config: MaasVaultConfig, command: string, seconds: number): Promise<SiteLock> {
  if (config.state.backend === 'pg') requirePgConnection(process.env);
  const release = await lockWorkDir(config.workDir, `maas-vault ${command}`, seconds);
  // A work directory's lock file cannot be lost while held.
  if (config.state.backend !== 'pg') return Object.assign(() => release(), { lost: new AbortController().signal });
  try {
    const site = await takePgSiteLock(config, command, seconds);
    // These commands change Vault without the engine: they also take the engines' lock on the state
    // row, which engines run by hand take too (always after maas-vault's, so never a deadlock).
    const { lockPgState } = await import('../engine/pg-state.js');
    const applicationName = `${engineApplicationName()} ${command}`.slice(0, 63);
    const releasePg = await lockPgState(stateSchemaName(config), applicationName, seconds).catch(async (error: unknown) => {
      await site.release();
      throw error;
    });
    if (!releasePg) {
      await site.release();
      throw await lockedError(config, seconds, 'state');
    }
    const lost = new AbortController();
    let released = false;
    let stopped: () => void = () => undefined;
    void site.lost.then((reason) => {
      lost.abort(`the PostgreSQL session holding it (schema ${stateSchemaName(config)}) was lost: ${reason}`);
      // The fence says 'stopping' until the command has released: its writes in flight have ended
      // and what it issued is delivered and recorded before the next holder reads anything.
      void site.settle(() => (released ? Promise.resolve() : new Promise<void>((resolve) => (stopped = resolve))));
    });
    const releaseAll = () => {
      released = true;
      stopped();
      void releasePg();
      void site.release();
      release();
    };
    return Object.assign(releaseAll, { lost: lost.signal });
  } catch (error) {
    release();
    throw error;
  }
}

async function takePgSiteLock(config: MaasVaultConfig, command: string, seconds: number, onFenced?: (holder: string) => void): Promise<PgSiteLock> {
  const { lockPgSite, PgSiteLockBusy } = await import('../engine/pg-site-lock.js');
  const applicationName = `${engineApplicationName()} ${command}`.slice(0, 63);
  const site = await lockPgSite({ schema: stateSchemaName(config), applicationName, waitSeconds: seconds, onFenced }).catch((error: unknown) => {
    if (error instanceof PgSiteLockBusy && error.stoppingHolder) {
      throw new StateLockedError(
        `the site's lock for ${config.site} (PostgreSQL schema ${stateSchemaName(config)}) is free, ` +
          `but its last holder, ${error.stoppingHolder}, lost it mid-run and is still stopping its engine. ` +
          `Waited ${seconds}s (--lock-timeout). Nothing was changed: run again in a minute, or with a longer --lock-timeout`,
      );
    }
    throw error;
  });
  if (!site) throw await lockedError(config, seconds, 'site');
  return site;
}

/** `which`: the lock that was not had in time, maas-vault's own or the engines' on the state row. */
async function lockedError(config: MaasVaultConfig, seconds: number, which: 'site' | 'state'): Promise<StateLockedError> {
  return new StateLockedError(
    `the state of site ${config.site} (in PostgreSQL schema ${stateSchemaName(config)}) is locked by another run: ${await pgLockHolder(config, which)}. ` +
      `Waited ${seconds}s (--lock-timeout). Nothing was changed: run again once that run has finished, or with a longer --lock-timeout. ` +
      'A run that was killed releases the lock by itself (with its database connection)',
  );
}

/** The pg site lock of this process's apply or destroy, once taken: what a lost lock settles. */
let heldForEngine: PgSiteLock | undefined;

/**
 * The lock of plan, apply and destroy (stack-session.ts). Local state: the work directory's lock,
 * the engine's file lock beside it. pg state, apply and destroy: also maas-vault's site lock in
 * PostgreSQL (the engine takes the state row's lock itself), watched for as long as the run lasts:
 * when its session is lost, the engine is interrupted as Ctrl-C does (engine/interrupts.ts) and the
 * session's engine step ends the run (settleLostLock); when no engine runs, the run ends at once.
 * plan keeps to the engine's state lock, as before.
 */
export async function lockStackSite(config: MaasVaultConfig, action: string, seconds: number, report: Reporter): Promise<ReleaseLock> {
  const release = await lockWorkDir(config.workDir, `maas-vault ${action}`, seconds);
  // plan writes neither Vault nor the state: the engines' own lock on the state row is enough there.
  if (config.state.backend !== 'pg' || action === 'plan' || action === 'dev') return release;
  let site: PgSiteLock;
  try {
    site = await takePgSiteLock(config, action, seconds, (holder) =>
      report.note(`waited for ${holder}, which lost the site's lock mid-run, to stop its engine and save its state`),
    );
  } catch (error) {
    release();
    throw error;
  }
  heldForEngine = site;
  void site.lost.then((reason) => {
    const described = `the PostgreSQL session holding the site's lock (schema ${stateSchemaName(config)}) was lost: ${reason}`;
    if (interrupts.stopFor(described)) return;
    // No engine is running: nothing is half-written, so the run ends here.
    void site
      .settle(async () => undefined)
      .finally(() => {
        process.stderr.write(
          `maas-vault: ${action} stopped: it lost the site's lock, ${described}, while no engine was running. ` +
            `Another admin's run may hold the lock now. Run \`maas-vault ${action}\` again: it waits for the lock and picks up where this one stopped\n`,
        );
        process.exit(EXIT.failure);
      });
  });
  return () => {
    void site.release();
    release();
  };
}

/**
 * After the engine stopped because the site's lock was lost: keeps the next run fenced off while
 * the state the engine could not save (the server was restarting) is pushed back, then lets it go.
 * Returns what happened to the engine's state, for the message.
 */
export async function settleLostLock(recover: () => Promise<string | undefined>, erroredPath: string): Promise<string> {
  const site = heldForEngine;
  let outcome = 'the engine saved its state';
  const work = async () => {
    // A restarting server takes a few seconds to answer again.
    const until = Date.now() + 30_000;
    for (;;) {
      try {
        const recovered = await interrupts.recover(recover);
        if (recovered) outcome = 'the engine could not save its state, so maas-vault pushed it back once PostgreSQL answered again';
        return;
      } catch (error) {
        if (Date.now() < until && !isErroredStateError(error)) {
          await new Promise((resolve) => setTimeout(resolve, 1000));
          continue;
        }
        outcome = existsSync(erroredPath)
          ? `the engine could not save the state, and PostgreSQL did not take it back within 30s. It kept it in ${erroredPath} (it holds wrapping tokens); ` +
            'the next apply from this work directory pushes it back first'
          : `the engine's state could not be checked (${(error as Error).name}): the next apply from this work directory checks it first`;
        return;
      }
    }
  };
  if (site) await site.settle(work);
  else await work();
  return outcome;
}

/** The work directory cannot be written (read-only file system, no permission): a lock file cannot be made there. */
export function isUnwritable(error: unknown): error is NodeJS.ErrnoException {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EROFS' || code === 'EACCES' || code === 'EPERM';
}
