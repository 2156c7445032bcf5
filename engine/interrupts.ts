/**
 * Ctrl-C, `kill` and a closed terminal during plan/apply/destroy. The engine runs in its own
 * process group, so a terminal's SIGINT reaches maas-vault alone and the engine gets exactly one
 * stop request, from here: it then finishes the Vault calls in flight and writes its state, as on
 * its own Ctrl-C. A second signal is the user insisting: the engine is told again and stops at
 * once. A third kills the engine's whole group. maas-vault waits for the engine either way, so no
 * engine or provider process outlives it and the state file is never cut off by a dead parent.
 */
import type { ResultPromise } from 'execa';

export type StopSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';

/** 128 + the signal's number, as shells report a process stopped by it. */
export const SIGNAL_EXIT_CODES: Record<StopSignal, number> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };

const SIGNALS: StopSignal[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

interface RunningEngine {
  process: ResultPromise;
  command: string;
}

class InterruptWatch {
  /** The first signal received, if any. */
  signal?: StopSignal;
  /** How many signals came: 2 or more means the user insisted. */
  count = 0;
  private running?: RunningEngine;
  private installed = false;
  private idleHandler?: (signal: StopSignal) => void;

  /** Starts catching the stop signals; `onIdle` runs when one comes while no engine runs. */
  install(onIdle: (signal: StopSignal) => void): void {
    this.idleHandler = onIdle;
    if (this.installed) return;
    this.installed = true;
    for (const signal of SIGNALS) process.on(signal, () => this.receive(signal));
    // Whatever ends this process, the engine's group goes with it.
    process.on('exit', () => this.killGroup());
  }

  get insisted(): boolean {
    return this.count > 1;
  }

  /** Registers the engine run in progress; returns the function that unregisters it. */
  track(engine: RunningEngine): () => void {
    this.running = engine;
    return () => {
      if (this.running === engine) this.running = undefined;
      killProcessGroup(engine.process.pid);
    };
  }

  private receive(signal: StopSignal): void {
    this.count += 1;
    this.signal ??= signal;
    // After a hang-up the terminal is gone: writing to it fails, and that must not end this
    // process (and with it the engine) before the engine has stopped and saved its state.
    if (signal === 'SIGHUP') {
      for (const stream of [process.stdout, process.stderr]) {
        stream.removeAllListeners('error');
        stream.on('error', () => undefined);
      }
    }
    const engine = this.running;
    if (!engine) {
      this.idleHandler?.(signal);
      return;
    }
    const pid = engine.process.pid;
    if (pid === undefined) return;
    // The engine stops gracefully on SIGINT (its Ctrl-C) and at once on a second one.
    if (this.count <= 2) sendSignal(pid, 'SIGINT');
    else killProcessGroup(pid);
  }

  private killGroup(): void {
    killProcessGroup(this.running?.process.pid);
  }
}

function sendSignal(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

/** Kills the engine and every provider it started (they share its process group). */
export function killProcessGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // No process left in the group.
  }
}

export const interrupts = new InterruptWatch();

/** An engine run stopped by a signal. */
export class EngineInterruptedError extends Error {
  override name = 'EngineInterruptedError';
  readonly exitCode: number;
  constructor(
    readonly command: string,
    readonly signal: StopSignal,
    readonly insisted: boolean,
  ) {
    super(`${command} interrupted by ${signal}`);
    this.exitCode = SIGNAL_EXIT_CODES[signal];
  }
}

export function isEngineInterrupted(error: unknown): error is EngineInterruptedError {
  return error instanceof EngineInterruptedError;
}
