/**
 * The floor for `credentials`: the smallest honest program sending the requests maas-vault sends
 * (once, the seal status whose cluster ID keeps a standby from answering stale reads; per role, the
 * role ID and a wrapped secret ID), all at once over one keep-alive pool of Node's built-in
 * `http`, with nothing else loaded. Reads BENCH_ADDR, VAULT_TOKEN and BENCH_ROLES (comma-separated).
 */
import { Agent, request } from 'node:http';

const address = new URL(process.env.BENCH_ADDR!);
const token = process.env.VAULT_TOKEN!;
const roles = process.env.BENCH_ROLES!.split(',');
const agent = new Agent({ keepAlive: true, maxSockets: 32 });

function call(method: string, path: string, headers: Record<string, string> = {}): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = request({ host: address.hostname, port: address.port, method, path: `/v1/${path}`, agent, headers: { 'X-Vault-Token': token, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => (res.statusCode! < 400 ? resolve(JSON.parse(Buffer.concat(chunks).toString())) : reject(new Error(`${method} ${path}: ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

await call('GET', 'sys/seal-status');
const results = await Promise.all(
  roles.map((role) =>
    Promise.all([
      call('GET', `auth/approle/role/${role}/role-id`),
      call('POST', `auth/approle/role/${role}/secret-id`, { 'X-Vault-Wrap-TTL': '5m' }),
    ]),
  ),
);
agent.destroy();
process.stdout.write(`${results.length}\n`);
