/**
 * An HTTP listener where Vault would be, for the tests of "refused before a single request": it
 * answers every request with a 500 that is not Vault's and records it, so a test can assert none came.
 */
import { createServer } from 'node:http';

export interface NotAVault {
  address: string;
  /** `METHOD /path` of every request since the last reset (the same array throughout). */
  readonly requests: string[];
  reset(): void;
  close(): Promise<void>;
}

export async function startNotAVault(): Promise<NotAVault> {
  const requests: string[] = [];
  const listener = createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`);
    response.writeHead(500).end('{"errors":["not a Vault"]}');
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  return {
    address: `http://127.0.0.1:${(listener.address() as { port: number }).port}`,
    requests,
    reset: () => void requests.splice(0),
    close: () => new Promise<void>((resolve) => listener.close(() => resolve())),
  };
}
