/** Stopping a suite's servers so that none outlives it: not a failed afterAll, nor a beforeAll that failed halfway. */

export interface Stoppable {
  stop(): Promise<void>;
}

/** Stops every one that was started (undefined: never got that far), even when another's stop fails; then throws the first failure. */
export async function stopAll(...started: Array<Stoppable | undefined>): Promise<void> {
  const stopped = await Promise.allSettled(started.map((one) => (one ? one.stop() : Promise.resolve())));
  const failed = stopped.find((outcome) => outcome.status === 'rejected');
  if (failed) throw failed.reason;
}

/**
 * Starts several servers at once and runs the rest of the set-up; when any part fails, stops the
 * ones that did start before throwing, since the suite's afterAll never learns of them.
 */
export async function startAll<T extends Stoppable[], R>(starts: { [K in keyof T]: Promise<T[K]> }, rest: (...started: T) => Promise<R>): Promise<R> {
  const outcomes = await Promise.allSettled(starts);
  const started = outcomes.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value : undefined)) as T;
  try {
    const failed = outcomes.find((outcome) => outcome.status === 'rejected');
    if (failed) throw failed.reason;
    return await rest(...started);
  } catch (error) {
    await stopAll(...started).catch(() => undefined);
    throw error;
  }
}
