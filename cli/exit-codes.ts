/** The CLI's documented exit codes (README, "Exit codes"). */
import { isConfigError } from '../config/errors.js';
export const EXIT = {
  ok: 0,
  /** The command ran and failed: an engine error, a failing verify, a permission denied. */
  failure: 1,
  /** Bad usage or bad config: nothing was sent to Vault. */
  usage: 2,
  /** Vault is sealed or unreachable. */
  unavailable: 3,
  /** `status` found drift between Vault and the config. */
  drift: 4,
  /** `status` found nothing of the site in Vault or in its state: it was never applied. */
  notCreated: 5,
  /** plan, apply or destroy stopped by SIGHUP, SIGINT or SIGTERM (128 + the signal's number). */
  hangup: 129,
  interrupted: 130,
  terminated: 143,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Bad usage found by the CLI itself (a missing VAULT_TOKEN, an unknown controller). */
export class UsageError extends Error {
  override name = 'UsageError';
  readonly exitCode = EXIT.usage;
}

/** The exit code an error maps to: errors that know theirs say so, anything else is a failure. */
export function exitCodeOf(error: unknown): ExitCode {
  const code = (error as { exitCode?: unknown } | null)?.exitCode;
  if (isConfigError(error)) return EXIT.usage;
  return code === 2 || code === 3 || code === 4 || code === 129 || code === 130 || code === 143 ? code : EXIT.failure;
}
