/**
 * The engine's own state lock, held by an engine run by hand in the stack directory (an admin's
 * `terraform destroy` waiting at its prompt): maas-vault waits briefly, then exits 1 naming the
 * holder from the engine's lock record, and never passes on the engine's advice to disable locking.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { enginePath } from '../support/matrix.js';
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { validateConfig } from '../../config/index.js';
import { workLayout } from '../../stacks/work-layout.js';
import { TestSite } from '../support/site.js';
import { describeE2E } from '../support/tiers.js';
import { serverBinary } from '../support/matrix.js';

describeE2E('engine state lock (e2e: engine + provider)', () => {
  let server: OpenBaoServer;

  beforeAll(async () => {
    server = await startDevServer({ bao: serverBinary() });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('a plan while an engine run holds the state lock: exit 1 naming it; after it ends, plan works', async () => {
    const site = new TestSite(server, { site: 'locked', kv: { mount: 'kv-locked' }, controllers: [{ name: 'region-1' }] });
    await site.apply();
    const config = validateConfig({ vault: { address: server.address }, ...site.config }, { env: {}, source: site.configPath, baseDir: site.dir });
    const { stackDir } = workLayout(config);
    const cliConfig = join(config.workDir, 'terraformrc');
    const held = execa(enginePath(), ['destroy', '-no-color'], {
      cwd: stackDir,
      reject: false,
      all: true,
      stdin: 'pipe',
      env: { VAULT_TOKEN: server.rootToken, VAULT_ADDR: server.address, ...(existsSync(cliConfig) ? { TF_CLI_CONFIG_FILE: cliConfig } : {}) },
    });
    let output = '';
    const prompted = new Promise<void>((resolve) =>
      held.all?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Enter a value:')) resolve();
      }),
    );
    await Promise.race([prompted, held]);
    expect(output).toContain('Enter a value:');

    let result;
    try {
      result = await site.cli(['plan'], server.rootToken, { MAAS_VAULT_LOCK_WAIT: '1' });
    } finally {
      held.stdin?.end('no\n');
      await held;
    }
    expect(result.exitCode).toBe(1);
    // The engine records a destroy as an apply operation.
    expect(result.stderr).toMatch(/is locked by an engine apply by \S+@\S+ since \d{4}-/);
    expect(result.stderr).toContain('.terraform.tfstate.lock.info');
    expect(result.all).not.toMatch(/lock=false|force-unlock/);
    expect((await site.plan()).changes).toBe(false);
  });
});
