/** What a stopped plan, apply or destroy tells the user: what happened, and what to run next. */
import type { EngineInterruptedError, StopSignal } from '../../engine/interrupts.js';

/** The commands that open an engine session (cli/commands/stack-session.ts). */
export type StackAction = 'plan' | 'apply' | 'destroy' | 'output' | 'encrypt-state' | 'dev';

export class InterruptedError extends Error {
  override name = 'InterruptedError';
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export function describeInterruption(error: EngineInterruptedError, action: StackAction, statePath: string, saved?: string): InterruptedError {
  if (action === 'encrypt-state') {
    return new InterruptedError(
      `encrypt-state interrupted by ${error.signal} during ${error.command}: nothing in Vault was changed, and the engine finished writing what it had started. ` +
        'Run `maas-vault encrypt-state` again: it reads the stored state afresh',
      error.exitCode,
    );
  }
  if (action === 'dev') {
    return new InterruptedError(
      `dev interrupted by ${error.signal} during ${error.command}: the dev server stops, and nothing outside it was changed. Run \`maas-vault dev\` again when ready`,
      error.exitCode,
    );
  }
  const again = `run \`maas-vault ${action}\` again`;
  const good = `${statePath}.good`;
  if (error.lockLost) {
    return new InterruptedError(
      `${action} stopped: it lost the site's lock, ${error.lockLost}. So that no two runs write at once, the engine was interrupted as Ctrl-C does: ` +
        `it finished the Vault calls in flight, and ${saved ?? 'the engine saved its state'}. Vault holds part of the change. ` +
        `Another admin's run may hold the lock now. To finish, ${again}: it waits for the lock and picks up where this one stopped` +
        (action === 'apply' ? ', removing secret IDs this run issued but did not record' : ''),
      error.exitCode,
    );
  }
  if (action === 'plan' || action === 'output') {
    return new InterruptedError(
      `${action} interrupted by ${error.signal}: the engine stopped; ${action} changes nothing in Vault. ${capitalize(again)} when ready`,
      error.exitCode,
    );
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

/** A signal while no engine runs: the process exits at once with the signal's code, after this line. */
export function idleInterruption(action: StackAction, signal: StopSignal): string {
  if (action === 'encrypt-state')
    return `encrypt-state interrupted by ${signal} while no engine was running. Run \`maas-vault encrypt-state\` again: it reads the stored state afresh.`;
  if (action === 'dev')
    return `dev interrupted by ${signal} while no engine was running: the dev server stops, and nothing outside it was changed. Run \`maas-vault dev\` again when ready.`;
  return `${action} interrupted by ${signal} while no engine was running: nothing was being changed in Vault. Run \`maas-vault ${action}\` again when ready.`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
