/**
 * The floor for `credentials`: the smallest honest program sending the requests maas-vault sends,
 * byte for byte in what matters to Vault: once, the seal status, whose cluster ID goes into the
 * headers that keep a standby from answering stale reads; per role, the role ID and a wrapped
 * secret ID carrying the same metadata. All at once over one keep-alive pool of Node's built-in
 * `http`, with nothing else loaded. Reads BENCH_ADDR, VAULT_TOKEN, BENCH_ROLES (comma-separated)
 * and BENCH_SITE.
 */
import { Agent, request } from 'node:http';

const address = new URL(process.env.BENCH_ADDR!);
const token = process.env.VAULT_TOKEN!;
const roles = process.env.BENCH_ROLES!.split(',');
const site = process.env.BENCH_SITE ?? 'bench';
const agent = new Agent({ keepAlive: true, maxSockets: 32 });

function call(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: address.hostname, port: address.port, method, path: `/v1/${path}`, agent, headers: { 'X-Vault-Token': token, ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          res.statusCode! < 400
            ? resolve(JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>)
            : reject(new Error(`${method} ${path}: ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const { cluster_id: cluster } = await call('GET', 'sys/seal-status');
const consistency = {
  'X-Vault-Index': Buffer.from(JSON.stringify({ cluster, value: '18446744073709551615' })).toString('base64'),
  'X-Vault-Inconsistent': 'forward-active-node',
};
const results = await Promise.all(
  roles.map((role) =>
    Promise.all([
      call('GET', `auth/approle/role/${role}/role-id`, consistency),
      call(
        'POST',
        `auth/approle/role/${role}/secret-id`,
        { ...consistency, 'X-Vault-Wrap-TTL': '5m', 'Content-Type': 'application/json' },
        JSON.stringify({
          metadata: JSON.stringify({ site, controller: role, issued_by: 'maas-vault credentials', issue_run: '00000000-0000-4000-8000-000000000000' }),
        }),
      ),
    ]),
  ),
);
agent.destroy();
process.stdout.write(`${results.length}\n`);
