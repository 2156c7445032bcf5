/**
 * The per-controller loops of credentials and rotate, which write to Vault without the engine and
 * must stop when told (their site lock was lost): each controller checks `stop` right before its
 * first write, and a controller not begun by then is left alone. At most EACH_WIDTH run at once,
 * fewer than the client's sockets (vault/client.ts: 32): no write waits in the client's queue,
 * where a stop could no longer reach it, so at most EACH_WIDTH writes are in flight when it comes.
 */
export const EACH_WIDTH = 16;

/** A controller's work was not begun: the run was told to stop before its first write. */
export class ControllerNotStarted extends Error {
  override name = 'ControllerNotStarted';
  constructor(readonly controller: string) {
    super(`${controller}: not begun: the run was stopped before its first write to Vault`);
  }
}

export function isControllerNotStarted(error: unknown): error is ControllerNotStarted {
  return error instanceof ControllerNotStarted;
}

/**
 * Runs `work` for each name, in the names' order, EACH_WIDTH at once; `work` calls
 * `beforeFirstWrite` just before it first writes. Settles like Promise.allSettled: a controller
 * stopped before its first write is rejected with ControllerNotStarted.
 */
export async function eachController<T>(
  names: readonly string[],
  stop: AbortSignal | undefined,
  work: (name: string, beforeFirstWrite: () => void, index: number) => Promise<T>,
): Promise<PromiseSettledResult<T>[]> {
  const settled: PromiseSettledResult<T>[] = [];
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < names.length; index = next++) {
      const name = names[index];
      const beforeFirstWrite = () => {
        if (stop?.aborted) throw new ControllerNotStarted(name);
      };
      try {
        beforeFirstWrite();
        settled[index] = { status: 'fulfilled', value: await work(name, beforeFirstWrite, index) };
      } catch (reason) {
        settled[index] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(EACH_WIDTH, names.length) }, worker));
  return settled;
}

/** The names whose work was not begun. */
export function notStartedOf(names: readonly string[], settled: readonly PromiseSettledResult<unknown>[]): string[] {
  return names.filter((_, index) => {
    const outcome = settled[index];
    return outcome.status === 'rejected' && isControllerNotStarted(outcome.reason);
  });
}
