/**
 * `status` asks sys/seal-status whether the server is sealed and which server it is, and the client
 * asks it which server it is before its first request (for the consistency headers): one read
 * answers both. A recording proxy in front of a real server counts what reaches it.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { VaultClient } from '../../vault/client.js';
import { checkStatus } from '../../vault/status.js';
import { testConfig } from '../support/configs.js';
import { vaultHttp } from '../support/http.js';
import { onServer, serverBinary } from '../support/matrix.js';

let server: OpenBaoServer;
let proxy: Server;
let proxyAddress: string;
/** `METHOD /path` and the consistency header of every request that passed through. */
const seen: { line: string; inconsistent?: string }[] = [];

beforeAll(async () => {
  server = await startDevServer({ bao: serverBinary() });
  const target = new URL(server.address);
  proxy = createServer((incoming, outgoing) => {
    seen.push({ line: `${incoming.method} ${incoming.url?.split('?')[0]}`, inconsistent: incoming.headers['x-vault-inconsistent'] as string | undefined });
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
  proxyAddress = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => proxy?.close(resolve));
  await server?.stop();
});

it('status reads sys/seal-status once, and the client still knows the server (consistency headers as before)', async () => {
  const client = new VaultClient({ address: proxyAddress, token: server.rootToken });
  try {
    seen.splice(0);
    const report = await checkStatus(client, testConfig());
    const sealReads = seen.filter(({ line }) => line === 'GET /v1/sys/seal-status');
    expect(sealReads).toHaveLength(1);
    expect(report.server).toMatchObject({ flavour: onServer('vault') ? 'Vault' : 'OpenBao', sealed: false, initialized: true });

    // The profile the client keeps is the one that read gave: the same cluster, no further read.
    const live = await vaultHttp(server.address, 'GET', 'sys/seal-status');
    expect((await client.serverProfile())?.clusterId).toBe(live.body.cluster_id);
    expect(seen.filter(({ line }) => line === 'GET /v1/sys/seal-status')).toHaveLength(1);

    // OpenBao gets the consistency headers on every authenticated request; HashiCorp Vault's community edition none.
    const mountsRead = seen.find(({ line }) => line === 'GET /v1/sys/mounts');
    expect(mountsRead?.inconsistent).toBe(onServer('vault') ? undefined : 'forward-active-node');
  } finally {
    await client.close();
  }
});
