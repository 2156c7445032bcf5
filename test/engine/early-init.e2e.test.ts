/**
 * A fresh work directory's `init` runs while the stack is synthesized, not after it, and what it
 * leaves is the stack directory's own init. The engine is the real one behind a wrapper that notes
 * each command, where it ran, and whether the synthesized stack existed yet.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { enginePath } from '../support/matrix.js';
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { runCli } from '../support/cli.js';
import { withoutProgress } from '../support/progress.js';
import { TestSite } from '../support/site.js';
import { describeE2E } from '../support/tiers.js';
import { serverBinary } from '../support/matrix.js';

interface EngineCall {
  command: string;
  cwd: string;
  stack: 'written' | 'absent';
}

function wrapper(dir: string, name: string, body: string): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

const NOTE = 'if [ -e "$WRAP_STACK_JSON" ]; then s=written; else s=absent; fi; printf \'%s %s %s\\n\' "$1" "$PWD" "$s" >> "$WRAP_LOG"';

function calls(log: string): EngineCall[] {
  if (!existsSync(log)) return [];
  return readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const [command, cwd, stack] = line.split(' ');
      return { command, cwd, stack: stack as EngineCall['stack'] };
    });
}

describeE2E('init while synthesizing (e2e: engine + provider)', () => {
  let server: OpenBaoServer;
  const engine = enginePath();

  // A server per case: each site creates `approle/`, which the other's pre-flight would refuse.
  beforeEach(async () => {
    server = await startDevServer({ bao: serverBinary() });
  });

  afterEach(async () => {
    await server?.stop();
  });

  function siteWith(name: string): { site: TestSite; log: string; env: Record<string, string>; stackDir: string; workDir: string } {
    const site = new TestSite(server, { site: name, kv: { mount: `kv-${name}` }, controllers: [{ name: 'region-1' }, { name: 'region-2' }] });
    const workDir = join(site.dir, '.maas-vault', name);
    const stackDir = join(workDir, 'cdktf.out', 'stacks', `maas-vault-${name}`);
    const log = join(site.dir, 'engine-calls.log');
    return { site, log, stackDir, workDir, env: { WRAP_LOG: log, WRAP_STACK_JSON: join(stackDir, 'cdk.tf.json'), REAL_ENGINE: engine } };
  }

  it("a fresh work directory is initialized before its stack is written, and that init is the stack's own", async () => {
    const { site, log, env, stackDir, workDir } = siteWith('early');
    const engineWrapper = wrapper(site.dir, 'engine', `${NOTE}\nexec "$REAL_ENGINE" "$@"`);
    const applied = await site.cli(['apply', '--auto-approve'], server.rootToken, { ...env, MAAS_VAULT_ENGINE: engineWrapper });
    expect(applied.exitCode).toBe(0);
    const inits = calls(log).filter((call) => call.command === 'init');
    expect(inits).toHaveLength(1);
    expect(inits[0].stack).toBe('absent');
    expect(inits[0].cwd).not.toBe(stackDir);
    expect(calls(log).find((call) => call.command === 'apply')).toEqual({ command: 'apply', cwd: stackDir, stack: 'written' });
    expect(existsSync(join(stackDir, '.terraform.lock.hcl'))).toBe(true);
    expect(existsSync(join(stackDir, '.terraform'))).toBe(true);
    expect(readdirSync(join(workDir, 'cdktf.out')).filter((name) => name.startsWith('init-'))).toEqual([]);
    // The stack directory is initialized for good: the next run inits nothing and finds no change.
    const plan = await site.cli(['plan', '--detailed-exitcode'], server.rootToken, { ...env, MAAS_VAULT_ENGINE: engineWrapper });
    expect(plan.exitCode).toBe(0);
    expect(calls(log).filter((call) => call.command === 'init')).toHaveLength(1);
  });

  it('a wrong guess at the engine (a too old tofu first on PATH) is thrown away, unseen', async () => {
    const { site, log, env, stackDir } = siteWith('guess');
    const bin = mkdtempSync(join(tmpdir(), 'maas-vault-path-'));
    wrapper(bin, 'tofu', `${NOTE}\n[ "$1" = version ] && { echo '{"terraform_version":"1.5.0"}'; exit 0; }\necho "Error: the old tofu cannot init"; exit 1`);
    wrapper(bin, 'terraform', `${NOTE}\nexec "$REAL_ENGINE" "$@"`);
    const applied = await site.cli(['apply', '--auto-approve'], server.rootToken, {
      ...env,
      MAAS_VAULT_ENGINE: undefined as unknown as string,
      PATH: `${bin}:${process.env.PATH}`,
    });
    expect({ exitCode: applied.exitCode, all: applied.all }).toEqual({ exitCode: 0, all: expect.not.stringContaining('the old tofu') });
    // The guess did run (so the test can fail), then the located engine initialized the stack itself.
    const inits = calls(log).filter((call) => call.command === 'init');
    expect(inits.map((call) => call.cwd === stackDir)).toEqual([false, true]);
    const plan = await site.cli(['plan', '--detailed-exitcode'], server.rootToken, {
      ...env,
      MAAS_VAULT_ENGINE: undefined as unknown as string,
      PATH: `${bin}:${process.env.PATH}`,
    });
    expect(plan.exitCode).toBe(0);
  });

  it('a command that stops before init (a refused token) shows nothing of the early one and leaves nothing of it', async () => {
    const { site, log, env, stackDir, workDir } = siteWith('refused');
    const engineWrapper = wrapper(site.dir, 'engine', `${NOTE}\nexec "$REAL_ENGINE" "$@"`);
    const applied = await site.cli(['apply', '--auto-approve'], 'not-a-token', { ...env, MAAS_VAULT_ENGINE: engineWrapper });
    expect(applied.exitCode).toBe(1);
    expect(withoutProgress(applied.stderr)).toMatch(/^maas-vault: Vault at \S+ refused the token/);
    expect(applied.all).not.toMatch(/Initializing|lock file/);
    // It did start (so the test can fail): its result is neither kept nor left lying around.
    expect(calls(log).map((call) => call.command)).toContain('init');
    expect(existsSync(join(stackDir, '.terraform'))).toBe(false);
    expect(readdirSync(join(workDir, 'cdktf.out')).filter((name) => name.startsWith('init-'))).toEqual([]);
  });

  it('an engine named by a relative path (--engine ./bin/engine) runs as that file in every directory the engine works in', async () => {
    const { site, log, env, stackDir } = siteWith('relative');
    wrapper(join(site.dir, 'bin'), 'engine', `${NOTE}\nexec "$REAL_ENGINE" "$@"`);
    const run = (args: string[]) => runCli([...args, '--engine', './bin/engine', '--config', site.configPath], { token: server.rootToken, cwd: site.dir, env });
    const applied = await run(['apply', '--auto-approve']);
    expect({ exitCode: applied.exitCode, stderr: applied.stderr }).toEqual({ exitCode: 0, stderr: expect.any(String) });
    expect(calls(log).map((call) => call.command)).toEqual(expect.arrayContaining(['init', 'apply']));
    expect((await run(['plan', '--detailed-exitcode'])).exitCode).toBe(0);
    expect(existsSync(join(stackDir, '.terraform.lock.hcl'))).toBe(true);
  });

  it("what an early init killed outright left behind goes with the next one; a running one's stays", async () => {
    const { site, workDir } = siteWith('orphan');
    const dead = spawnSync('true').pid;
    const scratch = join(workDir, 'cdktf.out');
    for (const pid of [dead, process.pid]) mkdirSync(join(scratch, `init-${pid}`, 'maas-vault-orphan'), { recursive: true });
    await site.apply();
    expect(readdirSync(scratch).filter((name) => name.startsWith('init-'))).toEqual([`init-${process.pid}`]);
  });

  it("a workDir shared with the admin's own files: a directory of theirs named like an early init's is left alone", async () => {
    const { site } = siteWith('shared');
    // workDir: "." puts maas-vault's files beside the config, among whatever else lives there.
    site.update((input) => ({ ...input, workDir: '.' }));
    const dead = spawnSync('true').pid;
    const theirs = join(site.dir, `init-${dead}`);
    mkdirSync(theirs);
    writeFileSync(join(theirs, 'notes.txt'), 'mine');
    await site.apply();
    expect(readFileSync(join(theirs, 'notes.txt'), 'utf8')).toBe('mine');
  });
});
