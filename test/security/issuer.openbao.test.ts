/**
 * The CI issuer's least privilege on a real OpenBao (no engine): logged in with the issuer role, CI
 * can hand out wrapped credentials that work for MAAS, run verify, and do nothing else.
 */
import { issuerRoleName, roleName, type MaasVaultConfig } from '../../config/index.js';
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { maasConfigure, vaultHttp } from '../support/http.js';
import { ManualSite } from '../support/manual-site.js';
import { serverBinary } from '../support/matrix.js';

let server: OpenBaoServer;
let site: ManualSite;
let config: MaasVaultConfig;
let ci: string;

beforeAll(async () => {
  server = await startDevServer({ bao: serverBinary() });
  site = await ManualSite.create(server, {
    site: 'ci',
    kv: { mount: 'kv-ci' },
    issuer: { enabled: true },
    controllers: [{ name: 'region-1' }, { name: 'region-2' }, { name: 'region-3' }],
  });
  config = site.validated;
  // The admin hands CI a secret ID for the issuer role; CI logs in with it.
  const issuer = issuerRoleName(config);
  const roleId = (await vaultHttp(server.address, 'GET', `auth/approle/role/${issuer}/role-id`, { token: server.rootToken })).body.data.role_id;
  const secretId = (await vaultHttp(server.address, 'POST', `auth/approle/role/${issuer}/secret-id`, { token: server.rootToken, body: {} })).body.data
    .secret_id;
  const login = await vaultHttp(server.address, 'POST', 'auth/approle/login', { body: { role_id: roleId, secret_id: secretId } });
  expect(login.status).toBe(200);
  ci = login.body.auth.client_token;
});

afterAll(async () => {
  await server?.stop();
});

it('can run credentials (with --revoke-previous) and verify, and the credentials work for MAAS', async () => {
  const result = await site.cli(['credentials', '--json', '--revoke-previous', '--auto-approve'], ci);
  expect([result.exitCode, result.exitCode === 0 ? '' : result.stderr]).toEqual([0, '']);
  for (const record of JSON.parse(result.stdout).controllers) {
    await maasConfigure(server.address, { roleId: record.roleId, wrappedToken: record.wrappedToken, secretsPath: 'maas', mount: 'kv-ci' });
  }
  expect((await site.cli(['verify'], ci)).exitCode).toBe(0);
});

it.each([
  ['an unwrapped secret ID', 'POST', (c: MaasVaultConfig) => `auth/approle/role/${roleName(c, 'region-1')}/secret-id`, {}, undefined],
  ['a wrapping TTL over 24h', 'POST', (c: MaasVaultConfig) => `auth/approle/role/${roleName(c, 'region-1')}/secret-id`, {}, '48h'],
  ['a secret ID for its own role', 'POST', (c: MaasVaultConfig) => `auth/approle/role/${issuerRoleName(c)}/secret-id`, {}, '5m'],
  ['a secret ID for a role of another site', 'POST', () => `auth/approle/role/${roleName({ site: 'other' }, 'region-1')}/secret-id`, {}, '5m'],
  ['a KV read', 'GET', () => 'kv-ci/data/maas/anything', undefined, undefined],
  ['a KV write', 'POST', () => 'kv-ci/data/maas/anything', { data: { x: 1 } }, undefined],
  ['a role change', 'POST', (c: MaasVaultConfig) => `auth/approle/role/${roleName(c, 'region-1')}`, { token_policies: ['root'] }, undefined],
  ['a new role', 'POST', (c: MaasVaultConfig) => `auth/approle/role/${roleName(c, 'region-9')}`, {}, undefined],
  ['a role deletion', 'DELETE', (c: MaasVaultConfig) => `auth/approle/role/${roleName(c, 'region-1')}`, undefined, undefined],
  ['a policy write', 'POST', (c: MaasVaultConfig) => `sys/policies/acl/${c.policy.name}`, { policy: 'path "*" { capabilities = ["sudo"] }' }, undefined],
  ['a token with other policies', 'POST', () => 'auth/token/create', { policies: ['root'] }, undefined],
])('is denied %s', async (_, method, path, body, wrapTtl) => {
  const answer = await vaultHttp(server.address, method, path(config), { token: ci, body, wrapTtl });
  expect(answer.status).toBe(403);
});
