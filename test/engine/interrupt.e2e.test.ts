/**
 * Ctrl-C, kill and hang-up during plan, apply and destroy of an 80-controller site, as a terminal
 * sends them (to the whole process group) and as `kill` does (to maas-vault alone). Each run says
 * what happened and what to run next, exits 128 + the signal's number, leaves a valid state and no
 * engine or provider process behind; afterwards one apply converges with an empty plan and exactly
 * one stack-issued secret ID per controller. Also: a broken state file, and two applies at once.
 */
import { existsSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { validateConfig, roleName, type MaasVaultConfig } from '../../config/index.js';
import { CLI, engineEnv } from '../support/cli.js';
import { vaultHttp } from '../support/http.js';
import { TestSite } from '../support/site.js';
import { describeE2E } from '../support/tiers.js';
import { serverBinary } from '../support/matrix.js';

describeE2E('interrupted runs (e2e: engine + provider)', () => {
  const CONTROLLERS = 80;
  let server: OpenBaoServer;
  let site: TestSite;
  let config: MaasVaultConfig;
  let statePath: string;

  beforeAll(async () => {
    server = await startDevServer({ bao: serverBinary() });
    site = new TestSite(server, {
      site: 'sigs',
      kv: { mount: 'kv-sigs' },
      controllers: Array.from({ length: CONTROLLERS }, (_, index) => ({ name: `region-${index + 1}` })),
    });
    config = validateConfig({ vault: { address: server.address }, ...site.config }, { env: {}, source: site.configPath, baseDir: site.dir });
    statePath = join(config.workDir, 'terraform.tfstate');
  });

  afterAll(async () => {
    await server?.stop();
  });

  interface Run {
    subprocess: ResultPromise;
    output: () => string;
    /** Resolves once the engine reported `count` finished resource operations (refreshes, for a plan). */
    progress: (count: number) => Promise<void>;
  }

  /** The CLI as its own process group, like a job started from a shell. */
  function start(args: string[], env: Record<string, string> = {}): Run {
    const subprocess = execa(process.execPath, [CLI, ...args, '--config', site.configPath], {
      reject: false,
      all: true,
      detached: true,
      extendEnv: false,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, VAULT_TOKEN: server.rootToken, ...engineEnv(), ...env },
    });
    let output = '';
    const waiters: { count: number; resolve: () => void }[] = [];
    subprocess.all?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const done = (output.match(args[0] === 'plan' ? /Refreshing state/g : /(Creation|Destruction|Modifications) complete/g) ?? []).length;
      for (const waiter of waiters.filter((candidate) => candidate.count <= done)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    });
    return {
      subprocess,
      output: () => output,
      progress: (count) => new Promise((resolve) => waiters.push({ count, resolve })),
    };
  }

  /** Sends `signal` when the run reaches `count` operations; fails if the run ended first. */
  async function interruptAt(run: Run, count: number, signal: NodeJS.Signals, target: 'group' | 'maas-vault', times = 1) {
    const reached = await Promise.race([run.progress(count).then(() => true), run.subprocess.then(() => false)]);
    expect(reached).toBe(true);
    for (let sent = 0; sent < times; sent++) {
      process.kill(target === 'group' ? -run.subprocess.pid! : run.subprocess.pid!, signal);
      if (sent + 1 < times) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const result = await run.subprocess;
    return { exitCode: result.exitCode, all: String(result.all) };
  }

  /** Processes still running in the site's directory (the engine and its providers run there). */
  function leftovers(): string[] {
    return readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .flatMap((pid) => {
        try {
          return readlinkSync(`/proc/${pid}/cwd`).startsWith(site.dir) ? [readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ')] : [];
        } catch {
          return [];
        }
      });
  }

  function stateIsValid(): boolean {
    const state = JSON.parse(readFileSync(statePath, 'utf8')) as { version?: number };
    return state.version === 4;
  }

  async function roles(): Promise<string[]> {
    const listed = await vaultHttp(server.address, 'LIST', 'auth/approle/role', { token: server.rootToken });
    return listed.body.data?.keys ?? [];
  }

  /** Secret IDs per controller role. */
  async function secretIdCounts(): Promise<number[]> {
    return Promise.all(
      config.controllers.map(async (controller) => {
        const listed = await vaultHttp(server.address, 'LIST', `auth/approle/role/${roleName(config, controller.name)}/secret-id`, { token: server.rootToken });
        return listed.body.data?.keys?.length ?? 0;
      }),
    );
  }

  async function expectConverged(expected: number[] = Array(CONTROLLERS).fill(1)): Promise<string> {
    const applied = await site.cli(['apply', '--auto-approve']);
    expect([applied.exitCode, applied.exitCode === 0 ? '' : applied.all]).toEqual([0, '']);
    expect((await site.plan()).changes).toBe(false);
    expect(await secretIdCounts()).toEqual(expected);
    return applied.stderr;
  }

  function bumpGeneration(): void {
    site.update((input) => ({ ...input, generation: (input.generation ?? 1) + 1 }));
  }

  it.each([
    ['early in a first apply', 5, false],
    ['midway through replacing every secret ID', 60, true],
    ['late in replacing every secret ID', 130, true],
  ])('SIGINT to the process group %s: exit 130 saying what to run; valid state; one apply converges', async (_, point, bump) => {
    if (bump) bumpGeneration();
    const run = start(['apply', '--auto-approve']);
    const result = await interruptAt(run, point, 'SIGINT', 'group');
    expect(result.exitCode).toBe(130);
    expect(result.all).toContain('apply interrupted by SIGINT: the engine finished the Vault calls in flight and saved its state');
    expect(result.all).toContain('run `maas-vault apply` again');
    expect(stateIsValid()).toBe(true);
    expect(leftovers()).toEqual([]);
    await expectConverged();
  });

  it('a second SIGINT: says the state may be incomplete; the next apply converges with one stack secret ID per controller, and keeps those of `credentials`', async () => {
    const [first, second] = config.controllers.map((controller) => roleName(config, controller.name));
    const issued = await site.cli(['credentials', '--controller', config.controllers[0].name, '--json']);
    expect(issued.exitCode).toBe(0);
    const fromCredentials = JSON.parse(issued.stdout).controllers[0].secretIdAccessor as string;
    bumpGeneration();
    const run = start(['apply', '--auto-approve']);
    const result = await interruptAt(run, 40, 'SIGINT', 'group', 2);
    expect(result.exitCode).toBe(130);
    expect(result.all).toContain('stopped at once on a second signal (SIGINT): the state may be incomplete');
    expect(result.all).toContain(`${statePath}.good`);
    expect(leftovers()).toEqual([]);
    // What an engine stopped between Vault's answer and its state write leaves behind: a secret ID
    // with the stack's metadata that no state records.
    const orphan = await vaultHttp(server.address, 'POST', `auth/approle/role/${second}/secret-id`, {
      token: server.rootToken,
      body: { metadata: JSON.stringify({ site: config.site, controller: config.controllers[1].name, generation: '0', issued_by: 'maas-vault stack' }) },
    });
    expect(orphan.status).toBe(200);
    const stderr = await expectConverged([2, ...Array(CONTROLLERS - 1).fill(1)]);
    expect(stderr).toMatch(/destroyed \d+ secret IDs? an interrupted run had issued without recording them/);
    const kept = await vaultHttp(server.address, 'LIST', `auth/approle/role/${first}/secret-id`, { token: server.rootToken });
    expect(kept.body.data.keys).toContain(fromCredentials);
  });

  it('SIGHUP to the process group during plan: exit 129, nothing changed', async () => {
    const run = start(['plan']);
    const result = await interruptAt(run, 1, 'SIGHUP', 'group');
    expect(result.exitCode).toBe(129);
    expect(result.all).toContain('plan interrupted by SIGHUP');
    expect(leftovers()).toEqual([]);
  });

  it('a second apply on the same work directory waits briefly, then exits 1 naming the holder; never suggests -lock=false', async () => {
    bumpGeneration();
    const first = start(['apply', '--auto-approve']);
    await first.progress(1);
    const second = await execa(process.execPath, [CLI, 'apply', '--auto-approve', '--config', site.configPath], {
      reject: false,
      all: true,
      extendEnv: false,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, VAULT_TOKEN: server.rootToken, MAAS_VAULT_LOCK_WAIT: '1', ...engineEnv() },
    });
    expect(second.exitCode).toBe(1);
    expect(String(second.all)).toMatch(new RegExp(`is locked by maas-vault apply by \\S+@\\S+ \\(pid ${first.subprocess.pid}\\) since \\d{4}-`));
    expect(String(second.all)).toContain('waited 1s');
    expect(String(second.all)).not.toMatch(/lock=false|force-unlock/);
    expect((await first.subprocess).exitCode).toBe(0);
    expect((await site.plan()).changes).toBe(false);
  });

  it('an empty state file is restored from the verified copy, and said so', async () => {
    const good = readFileSync(`${statePath}.good`, 'utf8');
    writeFileSync(statePath, '');
    const applied = await site.cli(['apply', '--auto-approve']);
    expect(applied.exitCode).toBe(0);
    expect(applied.stderr).toContain(`restored the last verified state from ${statePath}.good`);
    expect(readFileSync(statePath, 'utf8')).not.toBe('');
    expect(stateIsValid()).toBe(true);
    expect((await site.plan()).changes).toBe(false);
    expect(JSON.parse(good).version).toBe(4);
  });

  it('destroy with an unreadable state and no verified copy: exit 1, nothing destroyed, never "Destroyed"', async () => {
    const saved = readFileSync(statePath, 'utf8');
    rmSync(`${statePath}.good`);
    writeFileSync(statePath, '');
    const result = await site.cli(['destroy', '--auto-approve']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`the state file ${statePath} is not a valid state`);
    expect(result.all).not.toContain('Destroyed');
    expect(await roles()).toHaveLength(CONTROLLERS);
    writeFileSync(statePath, saved);
  });

  it('SIGTERM to maas-vault alone during destroy: the engine is stopped through it, exit 143; destroy again finishes', async () => {
    const run = start(['destroy', '--auto-approve']);
    const result = await interruptAt(run, 20, 'SIGTERM', 'maas-vault');
    expect(result.exitCode).toBe(143);
    expect(result.all).toContain('destroy interrupted by SIGTERM');
    expect(result.all).toContain('run `maas-vault destroy` again');
    expect(stateIsValid()).toBe(true);
    expect(leftovers()).toEqual([]);
    expect((await roles()).length).toBeGreaterThan(0);
    const again = await site.cli(['destroy', '--auto-approve']);
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain('Destroyed the maas-vault stack of site sigs');
    expect(await roles()).toEqual([]);
    expect(existsSync(join(config.workDir, 'interrupted'))).toBe(false);
  });
});
