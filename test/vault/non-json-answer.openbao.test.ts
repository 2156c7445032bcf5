/**
 * Something other than Vault answers (a proxy's page, a captive portal) with a body that is not
 * JSON and happens to hold a secret: the error says so without quoting it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { VaultClient } from '../../vault/client.js';

let server: Server;
let address: string;
const body = '<html>session=hvs.CAESIProxyPageSecret0123456789 expired</html>';

beforeAll(async () => {
  server = createServer((_, response) => {
    response.writeHead(502, { 'content-type': 'text/html' });
    response.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  address = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

it('describes a non-JSON answer without its content', async () => {
  const client = new VaultClient({ address, token: 'hvs.notsent' });
  try {
    await expect(client.read('sys/mounts')).rejects.toThrow(
      `Vault answered 502 to GET sys/mounts: an answer that is not JSON (${body.length} bytes, not repeated here): is something other than Vault listening at this address?`,
    );
  } finally {
    await client.close();
  }
});
