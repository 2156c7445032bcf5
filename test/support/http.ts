/**
 * Plain HTTP to Vault, independent of maas-vault's own client: what a region controller's MAAS
 * does with the credentials, so the proof does not lean on the code under test.
 */
import { readFileSync } from 'node:fs';
import { Agent } from 'undici';

export interface HttpAnswer {
  status: number;
  body: Record<string, any>;
}

const trusting = new Map<string, Agent>();

/** A connection pool that trusts one CA file (a TLS test server's). */
function trustingAgent(caCert: string): Agent {
  let agent = trusting.get(caCert);
  if (!agent) {
    agent = new Agent({ connect: { ca: readFileSync(caCert) } });
    trusting.set(caCert, agent);
  }
  return agent;
}

export async function vaultHttp(
  address: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; wrapTtl?: string; caCert?: string; namespace?: string } = {},
): Promise<HttpAnswer> {
  const headers: Record<string, string> = {};
  if (options.token) headers['X-Vault-Token'] = options.token;
  if (options.namespace) headers['X-Vault-Namespace'] = options.namespace;
  if (options.wrapTtl) headers['X-Vault-Wrap-TTL'] = options.wrapTtl;
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(`${address}/v1/${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    ...(options.caCert ? { dispatcher: trustingAgent(options.caCert) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : {} };
}

/** MAAS's `configure` calls, one by one, with the statuses it would get. */
export async function maasConfigure(
  address: string,
  input: { roleId: string; wrappedToken: string; secretsPath: string; mount: string },
): Promise<{ secretId: string; token: string; policies: string[]; ttl: number }> {
  const unwrapped = await vaultHttp(address, 'POST', 'sys/wrapping/unwrap', { token: input.wrappedToken });
  expectStatus('unwrap', unwrapped, 200);
  const secretId = unwrapped.body.data.secret_id as string;
  const login = await vaultHttp(address, 'POST', 'auth/approle/login', { body: { role_id: input.roleId, secret_id: secretId } });
  expectStatus('login', login, 200);
  const token = login.body.auth.client_token as string;
  const self = await vaultHttp(address, 'GET', 'auth/token/lookup-self', { token });
  expectStatus('lookup-self', self, 200);
  const key = `${input.secretsPath}/test-${input.roleId}`;
  expectStatus('write', await vaultHttp(address, 'POST', `${input.mount}/data/${key}`, { token, body: { data: { value: 'maas' } } }), 200);
  const read = await vaultHttp(address, 'GET', `${input.mount}/data/${key}`, { token });
  expectStatus('read', read, 200);
  if (read.body.data.data.value !== 'maas') throw new Error('read back a different value');
  expectStatus('delete', await vaultHttp(address, 'DELETE', `${input.mount}/metadata/${key}`, { token }), 204);
  return { secretId, token, policies: self.body.data.policies, ttl: self.body.data.ttl };
}

function expectStatus(step: string, answer: HttpAnswer, status: number): void {
  if (answer.status !== status) {
    throw new Error(`MAAS step "${step}" got HTTP ${answer.status}, expected ${status}: ${JSON.stringify(answer.body.errors ?? answer.body)}`);
  }
}
