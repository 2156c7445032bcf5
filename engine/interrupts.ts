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

/** After a lost lock: when the engine is told again (stop at once), and when its group is killed. */
export const LOST_INSIST_MS = 10_000;
export const LOST_KILL_MS = 20_000;

interface RunningEngine {
  process: ResultPromise;
  command: string;
}

class InterruptWatch {
  /** The first signal received, if any. */
  signal?: StopSignal;
  /** How many signals came: 2 or more means the user insisted. */
  count = 0;
  /** Why the run is being stopped without a signal (the site's lock lost), if it is. */
  lost?: string;
  private running?: RunningEngine;
  private installed = false;
  private idleHandler?: (signal: StopSignal) => void;
  private recovering = false;

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

  /** True once the run is being stopped, by a signal or a lost lock: nothing new starts. */
  get stopping(): boolean {
    return this.signal !== undefined || (this.lost !== undefined && !this.recovering);
  }

  /** Why an engine run must not start, or has just been stopped: undefined when it may go on. */
  stopError(command: string): EngineInterruptedError | undefined {
    if (this.signal) return new EngineInterruptedError(command, this.signal, this.insisted);
    if (this.lost !== undefined && !this.recovering) return new EngineInterruptedError(command, 'SIGINT', false, this.lost);
    return undefined;
  }

  /**
   * Stops the run because its site lock was lost (`reason` says how): the engine gets the stop
   * request of a first Ctrl-C, so it finishes the Vault calls in flight and saves its state. A run
   * that no longer holds the lock must not go on writing for long: a second SIGINT after
   * LOST_INSIST_MS, then its whole group killed after LOST_KILL_MS. Returns false when no engine
   * was running (the caller stops the run itself).
   */
  stopFor(reason: string): boolean {
    this.lost ??= reason;
    const pid = this.running?.process.pid;
    if (pid === undefined) return false;
    sendSignal(pid, 'SIGINT');
    const insist = setTimeout(() => sendSignal(pid, 'SIGINT'), LOST_INSIST_MS);
    const kill = setTimeout(() => killProcessGroup(pid), LOST_KILL_MS);
    void this.running!.process.finally(() => {
      clearTimeout(insist);
      clearTimeout(kill);
    }).catch(() => undefined);
    return true;
  }

  /** Runs `work` (pushing back the state the stopped engine could not save) with engine runs allowed again. */
  async recover<T>(work: () => Promise<T>): Promise<T> {
    this.recovering = true;
    try {
      return await work();
    } finally {
      this.recovering = false;
    }
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

/** An engine run stopped by a signal, or by maas-vault because the site's lock was lost (`lockLost` says how; exit 1). */
export class EngineInterruptedError extends Error {
  override name = 'EngineInterruptedError';
  readonly exitCode: number;
  constructor(
    readonly command: string,
    readonly signal: StopSignal,
    readonly insisted: boolean,
    readonly lockLost?: string,
  ) {
    super(lockLost ? `${command} stopped: the site's lock was lost (${lockLost})` : `${command} interrupted by ${signal}`);
    this.exitCode = lockLost ? 1 : SIGNAL_EXIT_CODES[signal];
  }
}

export function isEngineInterrupted(error: unknown): error is EngineInterruptedError {
  return error instanceof EngineInterruptedError;
}
