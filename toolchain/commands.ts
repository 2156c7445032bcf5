import { execa } from 'execa';

export interface CommandResult {
  ok: boolean;
  stdout: string;
  stderr: string;
  /** The command as a person would type it, for messages. */
  text: string;
}

/** Runs a command and reports, never throws: callers decide what a failure means. */
export async function tryCommand(
  command: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string | undefined>; timeoutMs?: number } = {},
): Promise<CommandResult> {
  const result = await execa(command, args, {
    cwd: options.cwd,
    env: options.env,
    reject: false,
    stdin: 'ignore',
    timeout: options.timeoutMs ?? 30 * 60_000,
    maxBuffer: 256 * 1024 * 1024,
  });
  return {
    ok: result.exitCode === 0,
    stdout: String(result.stdout ?? ''),
    stderr: String(result.stderr ?? '') || String(result.shortMessage ?? ''),
    text: [command, ...args].join(' '),
  };
}

/** The first line of an error output that says something (go and pip put the cause first or last). */
export function firstUsefulLine(text: string): string {
  const lines = text.split('\n').map((line) => line.trim()).filter((line) => line !== '' && !/^go: downloading/.test(line));
  return lines.find((line) => /error|fail|not available|forbidden|refus|denied|cannot|not found/i.test(line)) ?? lines[0] ?? 'no output';
}
