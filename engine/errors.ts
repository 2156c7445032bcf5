/**
 * The engine's failure, apart from engine.ts so that recognising it loads no execa: every
 * command's start-up asks `isEngineError` (engine-failure.ts, state-lock.ts...) without running one.
 */

/** A failed engine command; `output` is its last lines, for the error message. */
export class EngineError extends Error {
  override name = 'EngineError';
  readonly exitCode = 1;
  constructor(
    readonly command: string,
    readonly output: string,
  ) {
    super(`${command} failed:\n${output}`);
  }
}

export function isEngineError(error: unknown): error is EngineError {
  return error instanceof EngineError;
}

/** The engine's output when `error` is its failure, else undefined: what the explanations read. */
export function engineOutput(error: unknown): string | undefined {
  return isEngineError(error) ? error.output : undefined;
}
