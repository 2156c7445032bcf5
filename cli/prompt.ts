/** Asks a yes/no question on a terminal; commands that change Vault need a clear "yes". */
import { createRequire } from 'node:module';
import { UsageError } from './exit-codes.js';

// readline is loaded only when a question is asked: runs with --auto-approve never pay for it.
// With require, not import(): the bundle runs as a script, where import() has no loader (cli/code-cache.ts).
const loadBuiltin = createRequire(import.meta.url);

export function requireTerminalOrFlag(command: string): void {
  if (!process.stdin.isTTY) {
    throw new UsageError(`${command} changes Vault and there is no terminal to confirm on: pass --auto-approve`);
  }
}

export async function confirm(question: string, expected = 'yes'): Promise<boolean> {
  const { createInterface } = loadBuiltin('node:readline/promises') as typeof import('node:readline/promises');
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  // On a terminal readline turns Ctrl-C into an event, not a signal: raise the signal, so the
  // command stops as on any other Ctrl-C (exit 130) instead of ending quietly with status 0.
  prompt.on('SIGINT', () => process.kill(process.pid, 'SIGINT'));
  try {
    const answer = await prompt.question(`${question} Only '${expected}' will be accepted: `);
    return answer.trim() === expected;
  } finally {
    prompt.close();
  }
}
