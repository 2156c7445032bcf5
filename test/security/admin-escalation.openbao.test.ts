/**
 * A token holding only `maas-vault policy admin` tries every way to widen itself that the issue
 * found or that Vault offers, on a real OpenBao. Each attempt is paired with the legitimate call
 * it imitates (what the provider sends), so the test fails if the policy is simply too tight.
 */
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { issuerPolicyName, issuerRoleName, roleName, type MaasVaultConfig } from '../../config/index.js';
import { issuerPolicyFor, maasPolicyFor, renderAdminPolicy } from '../../policies/render.js';
import { vaultHttp } from '../support/http.js';
import { testConfig } from '../support/configs.js';
import { serverBinary } from '../support/matrix.js';

let server: OpenBaoServer;
let admin: string;
const lab = testConfig({ site: 'lab', kv: { mount: 'kv-lab' }, issuer: { enabled: true }, controllers: [{ name: 'region-1' }, { name: 'region-2' }] });
const other = testConfig({ site: 'lab-b', kv: { mount: 'kv-lab-b' }, controllers: [{ name: 'region-1' }] });

/** What terraform-provider-vault 5.6.0 sends to create a controller role (resource_approle_auth_backend_role.go, auth_token.go). */
const providerRoleBody = (config: MaasVaultConfig) => ({
  token_policies: [config.policy.name],
  token_no_default_policy: false,
  token_type: 'default',
  token_ttl: 300,
  bind_secret_id: true,
});

async function root(method: string, path: string, body?: unknown) {
  const answer = await vaultHttp(server.address, method, path, { token: server.rootToken, body });
  if (answer.status >= 300) throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer;
}

const asAdmin = (method: string, path: string, body?: unknown, wrapTtl?: string) => vaultHttp(server.address, method, path, { token: admin, body, wrapTtl });

beforeAll(async () => {
  server = await startDevServer({ bao: serverBinary() });
  await root('POST', 'sys/auth/approle', { type: 'approle' });
  // The other site exists, set up by its own admin: its policy and role.
  await root('POST', `sys/policies/acl/${other.policy.name}`, { policy: maasPolicyFor(other) });
  await root('POST', `auth/approle/role/${roleName(other, 'region-1')}`, providerRoleBody(other));
  // Something worth stealing.
  await root('POST', 'sys/policies/acl/everything', { policy: 'path "*" { capabilities = ["create", "read", "update", "delete", "list", "sudo"] }' });
  await root('POST', 'sys/policies/acl/maas-admin-lab', { policy: renderAdminPolicy(lab) });
  admin = (await root('POST', 'auth/token/create', { policies: ['maas-admin-lab'], ttl: '30m' })).body.auth.client_token;
});

afterAll(async () => {
  await server?.stop();
});

describe('the admin policy still lets the admin do the job', () => {
  it('writes the site’s policies with the rendered text and its roles as the provider does', async () => {
    expect((await asAdmin('POST', `sys/policies/acl/${lab.policy.name}`, { policy: maasPolicyFor(lab) })).status).toBe(204);
    expect((await asAdmin('POST', `sys/policies/acl/${issuerPolicyName(lab)}`, { policy: issuerPolicyFor(lab) })).status).toBe(204);
    expect((await asAdmin('POST', `auth/approle/role/${roleName(lab, 'region-1')}`, providerRoleBody(lab))).status).toBe(204);
    expect(
      (await asAdmin('POST', `auth/approle/role/${issuerRoleName(lab)}`, { ...providerRoleBody(lab), token_policies: [issuerPolicyName(lab)] })).status,
    ).toBe(204);
    const secretId = await asAdmin('POST', `auth/approle/role/${roleName(lab, 'region-1')}/secret-id`, { metadata: '{"site":"lab"}' }, '5m');
    expect(secretId.status).toBe(200);
    expect(
      (
        await asAdmin('POST', `auth/approle/role/${roleName(lab, 'region-1')}/secret-id-accessor/destroy`, {
          secret_id_accessor: secretId.body.wrap_info.wrapped_accessor,
        })
      ).status,
    ).toBe(204);
    // The provider's child token, as its Vault API client serialises the request.
    const child = { display_name: 'terraform', ttl: '1200s', explicit_max_ttl: '1200s', renewable: false, num_uses: 0, type: '', entity_alias: '' };
    expect((await asAdmin('POST', 'auth/token/create', child)).status).toBe(200);
  });
});

describe('a token with only the admin policy is refused (403)', () => {
  const labRole = () => `auth/approle/role/${roleName(lab, 'region-2')}`;
  it.each<[string, () => [string, string, unknown]]>([
    ['a role with another policy', () => ['POST', labRole(), { ...providerRoleBody(lab), token_policies: ['everything'] }]],
    ['a role with the site policy and another', () => ['POST', labRole(), { ...providerRoleBody(lab), token_policies: [lab.policy.name, 'everything'] }]],
    [
      'a role with the policies as a comma-separated string',
      () => ['POST', labRole(), { ...providerRoleBody(lab), token_policies: `${lab.policy.name},everything` }],
    ],
    ['a role with the deprecated `policies` parameter', () => ['POST', labRole(), { policies: ['everything'] }]],
    ['a role through the /policies endpoint', () => ['POST', `${labRole()}/policies`, { token_policies: ['everything'] }]],
    ['a role without the default policy', () => ['POST', labRole(), { ...providerRoleBody(lab), token_no_default_policy: true }]],
    ['a role issuing periodic tokens (token_period)', () => ['POST', labRole(), { ...providerRoleBody(lab), token_period: 3600 }]],
    ['a role issuing periodic tokens (period)', () => ['POST', labRole(), { ...providerRoleBody(lab), period: 3600 }]],
    ['a role issuing periodic tokens (/period endpoint)', () => ['POST', `${labRole()}/period`, { token_period: 3600 }]],
    ['a role issuing batch tokens', () => ['POST', labRole(), { ...providerRoleBody(lab), token_type: 'batch' }]],
    ['a role that needs no secret ID', () => ['POST', labRole(), { ...providerRoleBody(lab), bind_secret_id: false, token_bound_cidrs: ['0.0.0.0/0'] }]],
    ['a secret ID of its own choosing', () => ['POST', `${labRole()}/custom-secret-id`, { secret_id: 'chosen-by-the-admin' }]],
    ['a role outside the site', () => ['POST', 'auth/approle/role/maas-evil', providerRoleBody(lab)]],
    ['a role with the old name scheme', () => ['POST', 'auth/approle/role/maas-lab-region-9', providerRoleBody(lab)]],
    ['another site’s role, rewritten', () => ['POST', `auth/approle/role/${roleName(other, 'region-1')}`, providerRoleBody(other)]],
    ['another site’s role, deleted', () => ['DELETE', `auth/approle/role/${roleName(other, 'region-1')}`, undefined]],
    ['a secret ID for another site’s role', () => ['POST', `auth/approle/role/${roleName(other, 'region-1')}/secret-id`, {}]],
    ['the issuer role with the MAAS policy', () => ['POST', `auth/approle/role/${issuerRoleName(lab)}`, providerRoleBody(lab)]],
    [
      'the issuer role with another policy',
      () => ['POST', `auth/approle/role/${issuerRoleName(lab)}`, { ...providerRoleBody(lab), token_policies: ['everything'] }],
    ],
    ['writing another policy', () => ['POST', 'sys/policies/acl/anything', { policy: 'path "*" { capabilities = ["sudo"] }' }]],
    ['writing another site’s policy', () => ['POST', `sys/policies/acl/${other.policy.name}`, { policy: maasPolicyFor(lab) }]],
    [
      'rewriting the site’s own policy to grant everything',
      () => ['POST', `sys/policies/acl/${lab.policy.name}`, { policy: 'path "*" { capabilities = ["sudo"] }' }],
    ],
    [
      'rewriting the issuer policy to grant everything',
      () => ['POST', `sys/policies/acl/${issuerPolicyName(lab)}`, { policy: 'path "*" { capabilities = ["sudo"] }' }],
    ],
    ['a child token with another policy', () => ['POST', 'auth/token/create', { policies: ['everything'] }]],
    ['a periodic child token', () => ['POST', 'auth/token/create', { display_name: 'x', period: '1h' }]],
    ['a batch child token', () => ['POST', 'auth/token/create', { display_name: 'x', type: 'batch' }]],
    ['a child token bound to an entity alias', () => ['POST', 'auth/token/create', { display_name: 'x', entity_alias: 'someone' }]],
    ['an orphan token', () => ['POST', 'auth/token/create', { display_name: 'x', no_parent: true }]],
    ['a read of the secrets', () => ['GET', 'kv-lab/data/maas/x', undefined]],
  ])('%s', async (_, attempt) => {
    const [method, path, body] = attempt();
    const answer = await asAdmin(method, path, body);
    expect(answer.status).toBe(403);
  });

  it('the issue’s chain ends at the first step: no role with `everything`, so no login with it', async () => {
    const role = `auth/approle/role/${roleName(lab, 'evil')}`;
    expect((await asAdmin('POST', role, { token_policies: ['everything'] })).status).toBe(403);
    expect((await vaultHttp(server.address, 'GET', role, { token: server.rootToken })).status).toBe(404);
  });
});

describe('a site that adopts approle/ (approle.adopt)', () => {
  it('cannot disable or tune the auth method other sites log in with', async () => {
    const adopting = testConfig({ site: 'lab-c', approle: { adopt: true }, controllers: [{ name: 'region-1' }] });
    await root('POST', 'sys/policies/acl/maas-admin-lab-c', { policy: renderAdminPolicy(adopting) });
    const token = (await root('POST', 'auth/token/create', { policies: ['maas-admin-lab-c'], ttl: '5m' })).body.auth.client_token;
    expect((await vaultHttp(server.address, 'DELETE', 'sys/auth/approle', { token })).status).toBe(403);
    expect((await vaultHttp(server.address, 'POST', 'sys/auth/approle/tune', { token, body: { token_type: 'batch' } })).status).toBe(403);
    expect((await vaultHttp(server.address, 'GET', 'sys/auth', { token })).status).toBe(200);
  });
});

describe('a site that adopts hand-made roles and policy (controllers[].role, policy.adopt)', () => {
  // Names an admin picked by hand, outside maas_<site>_*: the admin policy grants them by exact path.
  const adopting = testConfig({
    site: 'lab-d',
    approle: { adopt: true },
    policy: { name: 'maas-secrets-d', adopt: true },
    controllers: [{ name: 'region-1', role: 'handmade-region-1' }, { name: 'region-2' }],
  });
  const adoptedRole = () => `auth/approle/role/${roleName(adopting, 'region-1')}`;
  let token: string;

  beforeAll(async () => {
    await root('POST', `sys/policies/acl/${adopting.policy.name}`, { policy: 'path "secret/data/maas/*" { capabilities = ["read"] }' });
    await root('POST', adoptedRole(), { token_policies: [adopting.policy.name], token_ttl: 300 });
    await root('POST', 'auth/approle/role/handmade-neighbour', { token_policies: ['default'] });
    await root('POST', 'sys/policies/acl/maas-admin-lab-d', { policy: renderAdminPolicy(adopting) });
    token = (await root('POST', 'auth/token/create', { policies: ['maas-admin-lab-d'], ttl: '10m' })).body.auth.client_token;
  });

  const as = (method: string, path: string, body?: unknown) => vaultHttp(server.address, method, path, { token, body });

  it('still does the job on the adopted role and policy: the provider’s writes, a secret ID, the rendered policy text', async () => {
    expect((await as('POST', adoptedRole(), providerRoleBody(adopting))).status).toBe(204);
    expect((await as('GET', `${adoptedRole()}/role-id`)).status).toBe(200);
    expect((await as('POST', `${adoptedRole()}/secret-id`, { metadata: '{"site":"lab-d"}' })).status).toBe(200);
    expect((await as('POST', `sys/policies/acl/${adopting.policy.name}`, { policy: maasPolicyFor(adopting) })).status).toBe(204);
    expect((await as('POST', `auth/approle/role/${roleName(adopting, 'region-2')}`, providerRoleBody(adopting))).status).toBe(204);
  });

  it.each<[string, () => [string, string, unknown]]>([
    ['the adopted role with another policy', () => ['POST', adoptedRole(), { ...providerRoleBody(adopting), token_policies: ['everything'] }]],
    [
      'the adopted role with the site policy and another',
      () => ['POST', adoptedRole(), { ...providerRoleBody(adopting), token_policies: [adopting.policy.name, 'everything'] }],
    ],
    ['the adopted role through the deprecated `policies`', () => ['POST', adoptedRole(), { policies: ['everything'] }]],
    ['the adopted role through its /policies endpoint', () => ['POST', `${adoptedRole()}/policies`, { token_policies: ['everything'] }]],
    ['the adopted role issuing periodic tokens', () => ['POST', adoptedRole(), { ...providerRoleBody(adopting), token_period: 3600 }]],
    ['the adopted role issuing batch tokens', () => ['POST', adoptedRole(), { ...providerRoleBody(adopting), token_type: 'batch' }]],
    ['the adopted role needing no secret ID', () => ['POST', adoptedRole(), { ...providerRoleBody(adopting), bind_secret_id: false }]],
    ['a secret ID of its own choosing for the adopted role', () => ['POST', `${adoptedRole()}/custom-secret-id`, { secret_id: 'chosen-by-the-admin' }]],
    ['a hand-made role the config does not adopt', () => ['POST', 'auth/approle/role/handmade-neighbour', providerRoleBody(adopting)]],
    ['a secret ID for a hand-made role the config does not adopt', () => ['POST', 'auth/approle/role/handmade-neighbour/secret-id', {}]],
    ['a role whose name only starts like the adopted one', () => ['POST', `${adoptedRole()}-2`, providerRoleBody(adopting)]],
    [
      'rewriting the adopted policy to grant everything',
      () => ['POST', `sys/policies/acl/${adopting.policy.name}`, { policy: 'path "*" { capabilities = ["sudo"] }' }],
    ],
  ])('refuses %s (403)', async (_, attempt) => {
    const [method, path, body] = attempt();
    expect((await as(method, path, body)).status).toBe(403);
  });
});
