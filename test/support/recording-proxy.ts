/**
 * A loopback proxy in front of a real server that records every request passing through: how
 * many times a run asks Vault for something is counted from what reaches the server, not from
 * the code under test.
 */
import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { serverBinary } from './matrix.js';

export interface RecordedRequest {
  /** `METHOD /v1/path`, the query left out. */
  line: string;
  /** The query string without `?` ('' when none): `list=true` is a LIST. */
  query: string;
  headers: IncomingHttpHeaders;
}

export interface RecordingProxy {
  /** `http://127.0.0.1:PORT`: give it to a client instead of the server's address. */
  address: string;
  /** Every request so far, in order; empty it with `seen.splice(0)`. */
  seen: RecordedRequest[];
  close(): Promise<void>;
}

async function startRecordingProxy(serverAddress: string): Promise<RecordingProxy> {
  const target = new URL(serverAddress);
  const seen: RecordedRequest[] = [];
  const proxy = createServer((incoming, outgoing) => {
    const [path, query = ''] = (incoming.url ?? '').split('?');
    seen.push({ line: `${incoming.method} ${path}`, query, headers: incoming.headers });
    const forwarded = request(
      { host: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers: incoming.headers },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    forwarded.on('error', () => outgoing.destroy());
    incoming.pipe(forwarded);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    address: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise<void>((resolve) => proxy.close(() => resolve())),
  };
}

/**
 * A dev server of this matrix column with a recording proxy in front, for the suite this is called
 * in: started before its tests, both stopped after them. Read `server` and `proxy` inside a test.
 */
export function useServerBehindProxy(): { readonly server: OpenBaoServer; readonly proxy: RecordingProxy } {
  const running: { server?: OpenBaoServer; proxy?: RecordingProxy } = {};
  beforeAll(async () => {
    running.server = await startDevServer({ bao: serverBinary() });
    running.proxy = await startRecordingProxy(running.server.address);
  });
  afterAll(async () => {
    await running.proxy?.close();
    await running.server?.stop();
  });
  return {
    get server() {
      if (!running.server) throw new Error('the server starts in beforeAll: read it inside a test');
      return running.server;
    },
    get proxy() {
      if (!running.proxy) throw new Error('the proxy starts in beforeAll: read it inside a test');
      return running.proxy;
    },
  };
}
