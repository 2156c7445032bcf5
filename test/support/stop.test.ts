/** A suite's start that fails halfway leaves nothing running: what did start is stopped before the error reaches beforeAll. */
import { startAll, stopAll, type Stoppable } from './stop.js';

class FakeServer implements Stoppable {
  stopped = 0;
  constructor(private readonly stopFails = false) {}
  async stop(): Promise<void> {
    this.stopped += 1;
    if (this.stopFails) throw new Error('stop failed');
  }
}

it('a start that fails stops the one that did start, and throws its error', async () => {
  const started = new FakeServer();
  const failing = Promise.reject(new Error('PostgreSQL did not start'));
  await expect(startAll([Promise.resolve(started), failing], async (_started: FakeServer, _never: FakeServer) => 'never')).rejects.toThrow(
    'PostgreSQL did not start',
  );
  expect(started.stopped).toBe(1);
});

it('a set-up step that fails after both started stops both, and throws its error', async () => {
  const [a, b] = [new FakeServer(), new FakeServer()];
  const failed = startAll([Promise.resolve(a), Promise.resolve(b)], async (_a: FakeServer, _b: FakeServer) => {
    throw new Error('sys/auth/approle: 500');
  });
  await expect(failed).rejects.toThrow('sys/auth/approle: 500');
  expect([a.stopped, b.stopped]).toEqual([1, 1]);
});

it('a start that succeeds stops nothing and hands the servers on', async () => {
  const [a, b] = [new FakeServer(), new FakeServer()];
  expect(await startAll([Promise.resolve(a), Promise.resolve(b)], async (x, y) => [x, y])).toEqual([a, b]);
  expect([a.stopped, b.stopped]).toEqual([0, 0]);
});

it('stopAll stops every one though another fails to stop or never started, then throws the failure', async () => {
  const [failing, other] = [new FakeServer(true), new FakeServer()];
  await expect(stopAll(failing, undefined, other)).rejects.toThrow('stop failed');
  expect([failing.stopped, other.stopped]).toEqual([1, 1]);
});
