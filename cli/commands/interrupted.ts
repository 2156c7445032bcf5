/** What a stopped plan, apply or destroy tells the user: what happened, and what to run next. */
import type { EngineInterruptedError } from '../../engine/interrupts.js';

export type StackAction = 'plan' | 'apply' | 'destroy' | 'output';

export class InterruptedError extends Error {
  override name = 'InterruptedError';
  constructor(message: string, readonly exitCode: number) {
    super(message);
  }
}

export function describeInterruption(error: EngineInterruptedError, action: StackAction, statePath: string): InterruptedError {
  const again = `run \`maas-vault ${action}\` again`;
  const good = `${statePath}.good`;
  if (action === 'plan' || action === 'output') {
    return new InterruptedError(`${action} interrupted by ${error.signal}: the engine stopped; ${action} changes nothing in Vault. ${capitalize(again)} when ready`, error.exitCode);
  }
  if (error.insisted) {
    return new InterruptedError(
      `${action} stopped at once on a second signal (${error.signal}): the state may be incomplete, since Vault calls in flight may be missing from it. ` +
        `The last verified state is kept at ${good} and is restored if the state file is broken. ` +
        `To finish, ${again}: it converges${action === 'apply' ? ' and removes secret IDs the stopped run issued but did not record' : ''}`,
      error.exitCode,
    );
  }
  return new InterruptedError(
    `${action} interrupted by ${error.signal}: the engine finished the Vault calls in flight and saved its state (verified copy: ${good}). ` +
      `Vault holds part of the change; to finish, ${again}: it picks up where this one stopped`,
    error.exitCode,
  );
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
