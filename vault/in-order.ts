/**
 * Promise.all for checks that run at once but must fail the same way every time: it waits for all,
 * then throws the error of the first one listed. A token that lacks several permissions gets the
 * same message on every run, whatever order Vault's answers arrive in.
 */
export async function allInOrder<T extends readonly unknown[] | []>(tasks: T): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const settled = await Promise.allSettled(tasks);
  for (const result of settled) if (result.status === 'rejected') throw result.reason;
  return settled.map((result) => (result as PromiseFulfilledResult<unknown>).value) as { -readonly [K in keyof T]: Awaited<T[K]> };
}
