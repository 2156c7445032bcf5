/** One run per work directory: a live holder is waited for and named; a dead one's lock is taken over. */
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { LockHeldError, lockWaitSeconds, lockWorkDir, workDirLockPath } from '../../engine/lock.js';

function workDir(): string {
  return mkdtempSync(join(tmpdir(), 'maas-vault-lock-'));
}

describe('work directory lock', () => {
  it('a second taker fails once its wait is over, naming the holder, and never suggests disabling the lock', async () => {
    const dir = workDir();
    const release = await lockWorkDir(dir, 'maas-vault apply', 0);
    const error = await lockWorkDir(dir, 'maas-vault apply', 0).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(LockHeldError);
    expect((error as Error).message).toMatch(new RegExp(`locked by maas-vault apply by \\S+@${hostname()} \\(pid ${process.pid}\\) since \\d{4}-`));
    expect((error as Error).message).not.toMatch(/lock=false|force-unlock/);
    release();
    expect(existsSync(workDirLockPath(dir))).toBe(false);
    (await lockWorkDir(dir, 'maas-vault plan', 0))();
  });

  it('takes over the lock of a process that has ended', async () => {
    const dir = workDir();
    const ended = await execa(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    writeFileSync(
      workDirLockPath(dir),
      JSON.stringify({ Operation: 'maas-vault apply', Who: 'gone@here', Created: '2020-01-01T00:00:00Z', pid: Number(ended.stdout), host: hostname() }),
    );
    const release = await lockWorkDir(dir, 'maas-vault apply', 0);
    expect(JSON.parse(readFileSync(workDirLockPath(dir), 'utf8')).pid).toBe(process.pid);
    release();
  });

  it('MAAS_VAULT_LOCK_WAIT must be whole seconds', () => {
    expect(lockWaitSeconds(undefined)).toBe(10);
    expect(lockWaitSeconds('3')).toBe(3);
    expect(() => lockWaitSeconds('soon')).toThrow(/MAAS_VAULT_LOCK_WAIT="soon": must be whole seconds from 0 to 3600/);
  });
});
