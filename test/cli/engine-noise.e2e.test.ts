/**
 * What the engine's `init` says that is advice for a hand-written project, not for maas-vault's
 * synthesized work directory, is not shown; the rest of its output is.
 */
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { execa } from 'execa';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, engineEnv } from '../support/cli.js';
import { TestSite } from '../support/site.js';
import { describeE2E } from '../support/tiers.js';
import { serverBinary } from '../support/matrix.js';
import { initNoiseFilter } from '../../engine/init-noise.js';

describeE2E('engine init noise (e2e: engine + provider)', () => {
  let server: OpenBaoServer;

  beforeAll(async () => {
    server = await startDevServer({ bao: serverBinary() });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('the first plan of a site shows neither the lock file paragraph nor the incomplete lock file warning', async () => {
    const site = new TestSite(server, { site: 'noise', kv: { mount: 'kv-noise' }, controllers: [{ name: 'region-1' }] });
    const plan = await site.cli(['plan']);
    expect(plan.exitCode).toBe(0);
    expect(plan.stderr).toMatch(/Installing hashicorp\/vault v5\.6\.0/);
    expect(plan.stderr).toMatch(/(Terraform|OpenTofu) has been successfully initialized!/);
    expect(plan.stderr).not.toMatch(/Incomplete lock file|version control|checksums|providers lock|platform to generate/);
    expect(plan.stderr).toMatch(/Plan: \d+ to add/);
  });

  it('on a terminal, no engine line shares its line with the spinner', async () => {
    // The spinner starts after a second, and an apply of a few roles can be quicker than that on a
    // fast machine: the engine waits 2 s before applying the plan file, so the spinner is always
    // drawn before the engine prints its first line of the apply.
    const dir = mkdtempSync(join(tmpdir(), 'maas-vault-spinner-'));
    const slowEngine = join(dir, 'terraform');
    writeFileSync(slowEngine, `#!/bin/sh\ncase "$1" in apply) sleep 2 ;; esac\nexec '${engineEnv().MAAS_VAULT_ENGINE}' "$@"\n`);
    chmodSync(slowEngine, 0o755);
    const site = new TestSite(server, {
      site: 'spinner',
      kv: { mount: 'kv-spinner' },
      controllers: Array.from({ length: 10 }, (_, index) => ({ name: `region-${index + 1}` })),
    });
    const line = [process.execPath, CLI, 'apply', '--auto-approve', '--config', site.configPath].join(' ');
    const result = await execa('script', ['-qefc', line, '/dev/null'], {
      reject: false,
      extendEnv: false,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, TERM: 'xterm', VAULT_TOKEN: server.rootToken, ...engineEnv(), MAAS_VAULT_ENGINE: slowEngine },
    });
    expect(result.exitCode).toBe(0);
    const output = String(result.stdout).replace(/\r\n/g, '\n');
    // The spinner ran, so the check below means something.
    expect(output).toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] (terraform|tofu) apply \(\d+\.\ds\)/);
    const shared = output
      .split('\n')
      .map((text) => text.split('\r').at(-1)!)
      .filter((text) => /^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] .*\|/.test(text));
    expect(shared).toEqual([]);
  });
});

it('a paragraph that never ends hides at most 20 lines after its start', () => {
  const shown = initNoiseFilter();
  const lines = ['Warning: Incomplete lock file information for providers', ...Array.from({ length: 30 }, (_, index) => `line ${index}`)];
  expect(lines.filter(shown)).toEqual(Array.from({ length: 10 }, (_, index) => `line ${index + 20}`));
});
