/**
 * The per-controller loop of credentials and rotate: at most EACH_WIDTH at once (fewer than the
 * client's sockets, so no write waits where a stop cannot reach it), results in the names' order,
 * and once stopped no controller makes its first write.
 */
import { EACH_WIDTH, eachController, isControllerNotStarted, notStartedOf } from '../../vault/each-controller.js';

const names = Array.from({ length: 50 }, (_, index) => `region-${index + 1}`);
const tick = () => new Promise((resolve) => setImmediate(resolve));

it('runs at most EACH_WIDTH controllers at once and settles in the order of the names, failures included', async () => {
  let running = 0;
  let most = 0;
  const settled = await eachController(names, undefined, async (name, beforeFirstWrite) => {
    running++;
    most = Math.max(most, running);
    await tick();
    beforeFirstWrite();
    await tick();
    running--;
    if (name === 'region-7') throw new Error('refused');
    return name.toUpperCase();
  });
  expect(EACH_WIDTH).toBeLessThan(32);
  expect(most).toBe(EACH_WIDTH);
  expect(settled.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value : (outcome.reason as Error).message))).toEqual(
    names.map((name) => (name === 'region-7' ? 'refused' : name.toUpperCase())),
  );
  expect(notStartedOf(names, settled)).toEqual([]);
});

it('once stopped, writes for no further controller: those reading finish as not started, those writing finish', async () => {
  const stop = new AbortController();
  const wrote: string[] = [];
  const settled = await eachController(names, stop.signal, async (name, beforeFirstWrite) => {
    await tick();
    beforeFirstWrite();
    wrote.push(name);
    // The third write is in flight when the stop comes: it completes and counts as done.
    if (wrote.length === 3) stop.abort('lost');
    await tick();
    return name;
  });
  const done = names.filter((_, index) => settled[index].status === 'fulfilled');
  expect(done).toEqual(wrote);
  expect(wrote.length).toBeGreaterThanOrEqual(3);
  expect(wrote.length).toBeLessThanOrEqual(EACH_WIDTH);
  const notStarted = notStartedOf(names, settled);
  expect(notStarted).toEqual(names.filter((name) => !wrote.includes(name)));
  for (const outcome of settled) if (outcome.status === 'rejected') expect(isControllerNotStarted(outcome.reason)).toBe(true);
});
