/**
 * A loopback HTTP proxy in front of a test server that lets the first `passThrough` secret-ID
 * writes (by default `POST auth/approle/role/ROLE/secret-id`; `SECRET_ID_DESTROY` for destroys)
 * through and holds every later one until told to let them go: a run is caught mid-loop, however
 * fast the machine, with its writes in flight. Once `letGo` was called it counts the writes that
 * still arrive (a run that should have stopped sends none) and forwards them, so what they did is
 * seen in the server too.
 */
import { Agent, createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const SECRET_ID_WRITE = /^\/v1\/auth\/approle\/role\/[^/?]+\/secret-id(\?.*)?$/;
export const SECRET_ID_DESTROY = /^\/v1\/auth\/approle\/role\/[^/?]+\/secret-id-accessor\/destroy$/;

export class SecretIdGate {
  /** Secret-ID writes forwarded and answered before the gate closed. */
  answered = 0;
  /** Secret-ID writes that arrived after letGo(). */
  arrivedAfterLetGo = 0;
  private forwarded = 0;
  private held: Array<() => void> = [];
  private letGone = false;
  private gated = SECRET_ID_WRITE;
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 128 });

  private constructor(
    private readonly server: Server,
    private readonly target: string,
    private passThrough: number,
  ) {}

  static async start(target: string): Promise<SecretIdGate> {
    const server = createServer();
    const gate = new SecretIdGate(server, target, Number.POSITIVE_INFINITY);
    server.on('request', (incoming: IncomingMessage, response: ServerResponse) => gate.handle(incoming, response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return gate;
  }

  get address(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  get heldCount(): number {
    return this.held.length;
  }

  /** From now on, holds the writes to paths matching `gated` after the first `count`. */
  arm(count: number, gated: RegExp = SECRET_ID_WRITE): void {
    this.gated = gated;
    this.passThrough = count;
    this.forwarded = 0;
    this.answered = 0;
    this.arrivedAfterLetGo = 0;
    this.letGone = false;
  }

  /** Forwards what is held, and every secret-ID write from now on (counted). */
  letGo(): void {
    this.letGone = true;
    for (const forward of this.held.splice(0)) forward();
  }

  /** Back to a plain proxy, for the runs between races. */
  open(): void {
    this.letGo();
    this.passThrough = Number.POSITIVE_INFINITY;
    this.letGone = false;
  }

  async stop(): Promise<void> {
    this.letGo();
    this.agent.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(incoming: IncomingMessage, response: ServerResponse): void {
    const isWrite = incoming.method === 'POST' && this.gated.test(incoming.url ?? '');
    const forward = (counted: boolean) => {
      const upstream = request(`${this.target}${incoming.url}`, { method: incoming.method, headers: incoming.headers, agent: this.agent }, (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
        if (counted) answer.on('end', () => this.answered++);
      });
      upstream.on('error', () => response.destroy());
      incoming.pipe(upstream);
    };
    if (!isWrite) return forward(false);
    if (this.letGone) {
      this.arrivedAfterLetGo++;
      return forward(false);
    }
    if (this.forwarded < this.passThrough) {
      this.forwarded++;
      return forward(true);
    }
    this.held.push(() => forward(false));
  }
}
