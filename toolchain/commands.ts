import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { execa } from 'execa';

export interface CommandResult {
  ok: boolean;
  stdout: string;
  stderr: string;
  /** The command as a person would type it, for messages. */
  text: string;
  /** Stopped by its time limit rather than finished. */
  timedOut: boolean;
}

export interface CommandOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
  /** Stops the command (SIGTERM) when another piece of the toolchain has already failed. */
  signal?: AbortSignal;
}

/** Runs a command and reports, never throws: callers decide what a failure means. */
export async function tryCommand(command: string, args: string[], options: CommandOptions = {}): Promise<CommandResult> {
  const result = await execa(command, args, {
    cwd: options.cwd,
    env: options.env,
    reject: false,
    stdin: 'ignore',
    timeout: options.timeoutMs ?? 30 * 60_000,
    cancelSignal: options.signal,
    maxBuffer: 256 * 1024 * 1024,
  });
  return {
    ok: result.exitCode === 0,
    stdout: String(result.stdout ?? ''),
    stderr: String(result.stderr ?? '') || String(result.shortMessage ?? ''),
    text: [command, ...args].join(' '),
    timedOut: Boolean(result.timedOut),
  };
}

/** The first line of an error output that says something (go and pip put the cause first or last). */
export function firstUsefulLine(text: string): string {
  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !/^go: downloading/.test(line));
  const index = lines.findIndex((line) => /error|fail|not available|forbidden|refus|denied|cannot|not found/i.test(line));
  const line = lines[Math.max(index, 0)] ?? 'no output';
  // The Go module proxy gives its reason on the next line.
  const reason = lines[Math.max(index, 0) + 1];
  return reason?.startsWith('server response:') ? `${line} (${reason})` : line;
}

/** `command`'s absolute path: as given when it has a slash, else the first executable on PATH. */
export function resolveExecutable(command: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const executable = (path: string) => {
    try {
      accessSync(path, constants.X_OK);
      return statSync(path).isFile();
    } catch {
      return false;
    }
  };
  if (command.includes('/')) {
    const path = isAbsolute(command) ? command : resolve(command);
    return executable(path) ? path : undefined;
  }
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const path = join(resolve(dir), command);
    if (executable(path)) return path;
  }
  return undefined;
}

/** Says every `everyMs` that a long step is still running, until the returned function is called. */
export function heartbeat(progress: (line: string) => void, what: string, everyMs = 30_000): () => void {
  const started = Date.now();
  const timer = setInterval(() => progress(`${what}: still running (${Math.round((Date.now() - started) / 1000)}s)...`), everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
