/**
 * One keep-alive connection pool to Vault on Node's built-in `http`/`https`: every command that
 * talks to Vault starts without loading an HTTP library (undici alone was half a megabyte of code
 * parsed on every run). Sends a request, returns status, headers and the body as text.
 */
import { readFileSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { createRequire } from 'node:module';

// `https` brings TLS and the crypto bindings with it: loaded only for an https:// address.
const loadBuiltin = createRequire(import.meta.url);

export interface TransportOptions {
  /** `https://vault.example.com:8200`, without a trailing '/'. */
  address: string;
  /** Path of a PEM bundle to trust for Vault's TLS certificate. */
  caCert?: string;
  /** A client certificate and its key (PEM paths), for a listener that requires one. */
  clientCert?: { cert: string; key: string };
  /** Most sockets open at once. */
  connections: number;
  /** Longest wait for an answer (connecting included). */
  timeoutMs: number;
}

export interface TransportAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

export class HttpTransport {
  private readonly agent: HttpAgent;
  private readonly send: typeof httpRequest;

  constructor(private readonly options: TransportOptions) {
    if (options.address.startsWith('https:')) {
      const https = loadBuiltin('node:https') as typeof import('node:https');
      this.agent = new https.Agent({
        keepAlive: true,
        maxSockets: options.connections,
        ...(options.caCert ? { ca: readFileSync(options.caCert) } : {}),
        ...(options.clientCert ? { cert: readFileSync(options.clientCert.cert), key: readFileSync(options.clientCert.key) } : {}),
      });
      this.send = https.request;
    } else {
      this.agent = new HttpAgent({ keepAlive: true, maxSockets: options.connections });
      this.send = httpRequest;
    }
  }

  request(method: string, path: string, headers: Record<string, string>, body?: string): Promise<TransportAnswer> {
    return new Promise((resolve, reject) => {
      const outgoing = this.send(
        `${this.options.address}${path}`,
        { method, headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) }, agent: this.agent },
        (incoming) => {
          const chunks: Buffer[] = [];
          incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
          incoming.on('error', reject);
          incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, text: Buffer.concat(chunks).toString('utf8') }));
        },
      );
      const timer = setTimeout(
        () => outgoing.destroy(Object.assign(new Error(`no answer within ${Math.round(this.options.timeoutMs / 1000)} s`), { code: 'ETIMEDOUT' })),
        this.options.timeoutMs,
      );
      outgoing.on('close', () => clearTimeout(timer));
      outgoing.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      outgoing.end(body);
    });
  }

  /** Closes every socket: an idle keep-alive socket must not keep the process alive. */
  close(): void {
    this.agent.destroy();
  }
}
