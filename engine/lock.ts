/**
 * One run at a time per work directory. maas-vault takes its own lock (`maas-vault.lock`) before
 * it reads Vault or synthesizes, so a second run never mistakes the first one's half-created roles
 * for someone else's; the engine's state lock stays on as the backstop for engines run by hand.
 * A second run waits briefly, then stops naming the holder. Locking is never switched off: a lock
 * whose process has ended is recognised as stale and taken over (the engine's own lock is a file
 * lock the system releases with its process).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { basename, dirname, join } from 'node:path';

/** How long a run waits for another one on the same work directory (MAAS_VAULT_LOCK_WAIT, seconds; default 10). */
export function lockWaitSeconds(value = process.env.MAAS_VAULT_LOCK_WAIT): number {
  if (value === undefined || value.trim() === '') return 10;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 3600) {
    throw new LockSettingError(
      `MAAS_VAULT_LOCK_WAIT=${JSON.stringify(value.slice(0, 20))}: must be whole seconds from 0 to 3600 (default 10); unset it or fix it`,
    );
  }
  return parsed;
}

export class LockSettingError extends Error {
  override name = 'LockSettingError';
  readonly exitCode = 2;
}

interface LockInfo {
  Operation?: string;
  Who?: string;
  Created?: string;
  pid?: number;
  host?: string;
}

export class LockHeldError extends Error {
  override name = 'LockHeldError';
  readonly exitCode = 1;
}

export function workDirLockPath(workDir: string): string {
  return join(workDir, 'maas-vault.lock');
}

/** The engine's lock record for a local state file. */
export function engineLockInfoPath(statePath: string): string {
  return join(dirname(statePath), `.${basename(statePath)}.lock.info`);
}

/**
 * Takes the work directory's lock for `operation` (e.g. "maas-vault apply"), waiting up to
 * MAAS_VAULT_LOCK_WAIT seconds for a live holder. Returns the release function; the lock also goes with the process.
 */
export async function lockWorkDir(workDir: string, operation: string, waitSeconds = lockWaitSeconds()): Promise<() => void> {
  mkdirSync(workDir, { recursive: true, mode: 0o700 });
  const path = workDirLockPath(workDir);
  const mine: LockInfo = { Operation: operation, Who: who(), Created: new Date().toISOString(), pid: process.pid, host: hostname() };
  const deadline = Date.now() + waitSeconds * 1000;
  for (;;) {
    try {
      writeFileSync(path, `${JSON.stringify(mine, null, 2)}\n`, { flag: 'wx', mode: 0o600 });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = readLockInfo(path);
    if (holder ? isStale(holder) : unreadableForLong(path)) {
      if (holder) removeIfSame(path, holder);
      else rmSync(path, { force: true });
      continue;
    }
    if (Date.now() >= deadline) throw heldBy(workDir, holder, path, waitSeconds);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const release = () => removeIfSame(path, mine);
  process.once('exit', release);
  return release;
}

/** The engine could not take its state lock: name whoever holds it. */
export function lockHeldError(statePath: string): LockHeldError {
  const path = engineLockInfoPath(statePath);
  return heldBy(dirname(statePath), readLockInfo(path), path, lockWaitSeconds());
}

function heldBy(workDir: string, holder: LockInfo | undefined, path: string, waitSeconds: number): LockHeldError {
  // The engine records its operation as "OperationTypeApply"; maas-vault as "maas-vault apply".
  const operation = holder?.Operation?.replace(/^OperationType(\w+)$/, (_, name: string) => `an engine ${name.toLowerCase()}`);
  const described = holder
    ? `${operation ?? 'an engine run'} by ${holder.Who ?? 'someone'}${holder.pid ? ` (pid ${holder.pid})` : ''} since ${holder.Created ?? 'an unknown time'}`
    : 'another run';
  return new LockHeldError(
    `the work directory ${workDir} is locked by ${described} (lock record: ${path}); waited ${waitSeconds}s. ` +
      'Let that run finish, then run this command again; nothing was changed by this one',
  );
}

function readLockInfo(path: string): LockInfo | undefined {
  try {
    return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as LockInfo) : undefined;
  } catch {
    return undefined;
  }
}

/** A maas-vault lock of this host whose process is gone; another host's lock is never judged. */
function isStale(holder: LockInfo): boolean {
  if (!holder.pid || holder.host !== hostname()) return false;
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** A lock file that never became readable (its writer died between creating and writing it). */
function unreadableForLong(path: string): boolean {
  const stat = statSync(path, { throwIfNoEntry: false });
  return stat !== undefined && Date.now() - stat.mtimeMs > 5000;
}

function removeIfSame(path: string, expected: LockInfo): void {
  const current = readLockInfo(path);
  if (current && current.pid === expected.pid && current.Created === expected.Created) {
    try {
      unlinkSync(path);
    } catch {
      // Already removed.
    }
  }
}

function who(): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (containers): keep "unknown".
  }
  return `${user}@${hostname()}`;
}
