/**
 * The floor for `credentials`: the same HTTP requests maas-vault sends (per role: read the role
 * ID, issue a wrapped secret ID), all at once over Node's built-in keep-alive pool, nothing else.
 * Reads BENCH_ADDR, VAULT_TOKEN and BENCH_ROLES (comma-separated).
 */
const address = process.env.BENCH_ADDR!;
const token = process.env.VAULT_TOKEN!;
const roles = process.env.BENCH_ROLES!.split(',');

async function call(method: string, path: string, headers: Record<string, string> = {}): Promise<unknown> {
  const response = await fetch(`${address}/v1/${path}`, { method, headers: { 'X-Vault-Token': token, ...headers } });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status}`);
  return response.json();
}

const results = await Promise.all(
  roles.map((role) =>
    Promise.all([
      call('GET', `auth/approle/role/${role}/role-id`),
      call('POST', `auth/approle/role/${role}/secret-id`, { 'X-Vault-Wrap-TTL': '5m' }),
    ]),
  ),
);
process.stdout.write(`${results.length}\n`);
