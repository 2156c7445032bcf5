/** Calls with a test server's root token: the set-up a test needs, and a look at what Vault holds afterwards. */
import { vaultHttp } from './http.js';
import type { TestServer } from './site.js';

/** A set-up call that must succeed: the body of its answer, or an error naming the call, its status and Vault's words. */
export async function rootStep(server: TestServer, method: string, path: string, body?: unknown): Promise<any> {
  const answer = await vaultHttp(server.address, method, path, { token: server.rootToken, body });
  if (answer.status >= 300) throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

/** A token holding only `policy` (written under `name`), as an admin hands one to a person or to CI: nothing of root's reach. */
export async function tokenWithPolicy(server: TestServer, name: string, policy: string): Promise<string> {
  await rootStep(server, 'PUT', `sys/policies/acl/${name}`, { policy });
  return (await rootStep(server, 'POST', 'auth/token/create', { policies: [name], ttl: '10m' })).auth.client_token as string;
}

/** The keys Vault lists at `path` (none where there is nothing to list), e.g. the policies or AppRole roles a run left behind. */
export async function listedAsRoot(server: TestServer, path: string): Promise<string[]> {
  return ((await vaultHttp(server.address, 'LIST', path, { token: server.rootToken })).body.data?.keys ?? []) as string[];
}

/** The mounts the server holds (`kv-x/`), e.g. whether destroy kept one. */
export async function mountsOf(server: TestServer): Promise<string[]> {
  return Object.keys((await vaultHttp(server.address, 'GET', 'sys/mounts', { token: server.rootToken })).body.data);
}
