/**
 * `init` of a fresh work directory, run while the stack is synthesized instead of after it: the
 * two take about as long each, and init reads only the `terraform` block, which is known before
 * synth for a state kept in a local file in clear (stacks/engine-settings.ts). It runs in a
 * directory of its own beside the synthesized stacks, `cdktf.out/init-<pid>/` (at the stack
 * directory's depth, so the state path means the same), on a file holding just that block. Its result moves into the stack directory only when synth gave
 * the same block and the engine located is the one that ran; otherwise it is thrown away and
 * init runs as before. Anything else (pg, encryption, an initialized stack) inits as before.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Engine } from './engine.js';
import { EngineError, isEngineError } from './errors.js';
import type { EngineBinary } from './locate.js';
import { initSettledBy } from '../stacks/engine-settings.js';
import { isRunning } from './process-alive.js';

export interface EarlyInitOptions {
  /** The engine command the locator will most likely settle on (engine/locate.ts engineCandidate). */
  command: string;
  workDir: string;
  stackDir: string;
  /** The `terraform` block the stack is expected to have. */
  settings: Record<string, unknown>;
  env: Record<string, string | undefined>;
  onOutput?: (line: string) => void;
  lockTimeout?: string;
}

const INIT_FILES = ['.terraform', '.terraform.lock.hcl'];

/** True when `stackDir` has neither of init's results: nothing of an earlier init to keep or mix. */
export function needsFirstInit(stackDir: string): boolean {
  return INIT_FILES.every((name) => !existsSync(join(stackDir, name)));
}

export class EarlyInit {
  private readonly dir: string;
  private readonly run: Promise<unknown>;
  /** Its lines, shown once it is known to stand for the stack's init: a discarded guess stays silent. */
  private readonly lines: string[] = [];

  private constructor(private readonly options: EarlyInitOptions) {
    // Per process: `output` and `status` take no work-directory lock and may run beside an apply.
    this.dir = join(scratchDir(options.workDir), `init-${process.pid}`, basename(options.stackDir));
    removeOrphans(scratchDir(options.workDir));
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    writeFileSync(join(this.dir, 'settings.tf.json'), `${JSON.stringify({ terraform: options.settings }, null, 2)}\n`, { mode: 0o600 });
    const engine = new Engine({
      binary: { kind: /tofu/.test(basename(options.command)) ? 'tofu' : 'terraform', path: options.command, version: '' },
      stackDir: this.dir,
      env: options.env,
      onOutput: (line) => this.lines.push(line),
      lockTimeout: options.lockTimeout,
    });
    this.run = engine.init();
    // A command that stops before the engine's own init never takes it over: nothing of it stays.
    process.once('exit', () => this.remove());
    // Awaited by finish(); until then a failure must not surface as an unhandled rejection.
    this.run.catch(() => undefined);
  }

  static start(options: EarlyInitOptions): EarlyInit {
    return new EarlyInit(options);
  }

  /**
   * Once synth is done and the engine located: true when this init stands for the stack's own
   * (its result now in the stack directory), false when it does not apply (thrown away). Its
   * failure is the failure the stack's own init would have had, and is thrown as such.
   */
  async finish(binary: EngineBinary, jsonPath: string): Promise<boolean> {
    try {
      const same = binary.path === this.options.command && initSettledBy(JSON.parse(readFileSync(jsonPath, 'utf8')), this.options.settings);
      if (!same) {
        await this.run.catch(() => undefined);
        return false;
      }
      try {
        await this.run.finally(() => {
          for (const line of this.lines) this.options.onOutput?.(line);
        });
      } catch (error) {
        // Named after the engine located, which the stand-in could only guess.
        throw isEngineError(error) ? new EngineError(`${binary.kind} init`, error.output) : error;
      }
      if (!needsFirstInit(this.options.stackDir)) return false;
      try {
        for (const name of INIT_FILES) renameSync(join(this.dir, name), join(this.options.stackDir, name));
      } catch {
        // Another run (output and status take no lock) moved its own in first: init checks what is there.
        return false;
      }
      return true;
    } finally {
      this.remove();
    }
  }

  /** Stops waiting for it (synth or the locator failed): its directory goes; the engine is stopped on exit. */
  async abandon(): Promise<void> {
    await this.run.catch(() => undefined);
    this.remove();
  }

  private remove(): void {
    rmSync(join(scratchDir(this.options.workDir), `init-${process.pid}`), { recursive: true, force: true });
  }
}

/**
 * Where early inits run: the synthesized output's own directory. Not the work directory itself,
 * which `workDir: "."` shares with the admin's files: an `init-2024/` of theirs is not ours.
 */
function scratchDir(workDir: string): string {
  return join(workDir, 'cdktf.out');
}

/** Directories of early inits whose process is gone (killed outright), and this process's own. */
function removeOrphans(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = /^init-(\d+)$/.exec(name)?.[1];
    if (pid !== undefined && (Number(pid) === process.pid || !isRunning(Number(pid)))) rmSync(join(dir, name), { recursive: true, force: true });
  }
}
