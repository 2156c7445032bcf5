/** An engine that cannot be started says so, naming the file and why, not "exit code undefined". */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../../engine/engine.js';

it('a binary gone between locating it and running it is named, with the reason', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'maas-vault-engine-'));
  try {
    const engine = new Engine({ binary: { kind: 'tofu', path: join(dir, 'gone', 'tofu'), version: '1.11.6' }, stackDir: dir });
    await expect(engine.plan()).rejects.toThrow(`tofu plan failed:\ncould not start ${join(dir, 'gone', 'tofu')} (ENOENT)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
