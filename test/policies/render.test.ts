import {
  adminPolicyGrants,
  renderAdminPolicy,
  renderedForMarkers,
  renderIssuerPolicy,
  renderMaasPolicy,
  type MaasPolicyProfile,
} from '../../policies/render.js';
import { byPath, grantsOf, grantsOutside, type Grant } from '../support/policy.js';
import { testConfig } from '../support/configs.js';

const sorted = (grants: Grant[]) => [...grants].sort(byPath);

const places: Array<[string, string]> = [
  ['secret', 'maas'],
  ['kv-maas', 'maas/site-a'],
  ['kv/maas.prod', 'regions/eu-1/maas_v3'],
];

describe('documented profile', () => {
  it.each(places)('is exactly the three path blocks of the MAAS docs for %s and %s', async (mount, path) => {
    const grants = await grantsOf(renderMaasPolicy({ mount, path, profile: 'documented' }));
    expect(grants).toEqual(
      sorted([
        { path: `${mount}/metadata/${path}/`, capabilities: ['list'] },
        { path: `${mount}/metadata/${path}/*`, capabilities: ['read', 'update', 'delete', 'list'] },
        { path: `${mount}/data/${path}/*`, capabilities: ['read', 'create', 'update', 'delete'] },
      ]),
    );
    expect(grantsOutside(grants, mount, path)).toEqual([]);
  });
});

describe('strict profile', () => {
  it.each(places)("grants only what MAAS's client calls, for %s and %s", async (mount, path) => {
    const grants = await grantsOf(renderMaasPolicy({ mount, path, profile: 'strict' }));
    expect(grants).toEqual(
      sorted([
        { path: `${mount}/data/${path}/*`, capabilities: ['create', 'read', 'update'] },
        { path: `${mount}/metadata/${path}/*`, capabilities: ['delete'] },
      ]),
    );
    expect(grantsOutside(grants, mount, path)).toEqual([]);
  });
});

describe('lookupSelf option', () => {
  it.each<MaasPolicyProfile>(['documented', 'strict'])('adds only auth/token/lookup-self (read) to %s', async (profile) => {
    const grants = await grantsOf(renderMaasPolicy({ mount: 'secret', path: 'maas', profile, lookupSelf: true }));
    const lookupSelf = { path: 'auth/token/lookup-self', capabilities: ['read'] };
    expect(grants).toContainEqual(lookupSelf);
    expect(grantsOutside(grants, 'secret', 'maas')).toEqual([lookupSelf]);
    expect(grantsOutside(grants, 'secret', 'maas', true)).toEqual([]);
  });
});

describe('renderer guards', () => {
  it.each([
    ['secret"} path "sys/*" {', 'maas', 'KV mount "secret"} path "sys/*" {" must not contain \'*\' or \'+\': they are wildcards in Vault policies'],
    ['secret', 'maas/../..', 'secrets path "maas/../.." must not contain \'..\''],
    ['secret', '', 'secrets path "" must not be empty: an empty secrets path would grant the whole mount'],
  ])('refuses mount %j with path %j even when called directly', (mount, path, message) => {
    expect(() => renderMaasPolicy({ mount, path, profile: 'strict' })).toThrow(message);
  });

  it('the guard in the test helper notices a widened grant', () => {
    expect(grantsOutside([{ path: 'secret/data/maas/*', capabilities: ['read'] }], 'secret', 'maas')).toEqual([]);
    expect(grantsOutside([{ path: 'secret/data/*', capabilities: ['read'] }], 'secret', 'maas')).toHaveLength(1);
    expect(grantsOutside([{ path: 'secret/data/maas/+/x', capabilities: ['read'] }], 'secret', 'maas')).toHaveLength(1);
    expect(grantsOutside([{ path: 'secret/data/maas-other/*', capabilities: ['read'] }], 'secret', 'maas')).toHaveLength(1);
  });
});

describe('issuer policy', () => {
  it('grants wrapped secret IDs and accessor work per role, wrapping mandatory', async () => {
    const grants = await grantsOf(renderIssuerPolicy({ site: 'lab', roles: ['maas-lab-region-1', 'maas-lab-region-2'], maxWrapTtl: '24h' }));
    expect(grants).toHaveLength(10);
    for (const role of ['maas-lab-region-1', 'maas-lab-region-2']) {
      const base = `auth/approle/role/${role}`;
      expect(grants).toContainEqual({ path: `${base}/secret-id`, capabilities: ['update'], minWrappingTtl: '1s', maxWrappingTtl: '24h' });
      expect(grants).toContainEqual({ path: `${base}/secret-id/`, capabilities: ['list'] });
      expect(grants).toContainEqual({ path: `${base}/secret-id-accessor/lookup`, capabilities: ['update'] });
      expect(grants).toContainEqual({ path: `${base}/secret-id-accessor/destroy`, capabilities: ['update'] });
      expect(grants).toContainEqual({ path: `${base}/role-id`, capabilities: ['read'] });
    }
    expect(grants.every((grant) => !/[*+]/.test(grant.path))).toBe(true);
  });
});

describe('what the admin policy was rendered for', () => {
  it('reads back every path block of the rendered policy, with its capabilities', () => {
    const config = testConfig({ issuer: { enabled: true }, keepLegacyNames: true, controllers: [{ name: 'region-1' }, { name: 'hand', role: 'hand-made' }] });
    const text = renderAdminPolicy(config);
    const grants = adminPolicyGrants(config);
    expect(grants).toHaveLength(text.match(/^path "/gm)!.length);
    expect(grants).toContainEqual({ path: 'sys/auth/approle', capabilities: ['create', 'read', 'update', 'delete', 'sudo'] });
    expect(grants.every((grant) => grant.capabilities.length > 0)).toBe(true);
  });

  it('marks each pinned policy text by its hash, so a changed text changes the marker', () => {
    const before = testConfig({ issuer: { enabled: true } });
    const revoked = testConfig({ issuer: { enabled: true }, controllers: [{ name: 'region-1' }, { name: 'region-2' }, { name: 'region-3', revoked: true }] });
    const [maas, issuer] = renderedForMarkers(before);
    expect(maas.path).toMatch(/^sys\/rendered-admin-policy\/lab\/[0-9a-f]{16}$/);
    expect(renderedForMarkers(revoked)[0]).toEqual(maas);
    expect(renderedForMarkers(revoked)[1].path).not.toBe(issuer.path);
    expect(renderedForMarkers(testConfig({ policy: { profile: 'strict' } }))[0].path).not.toBe(maas.path);
    expect(renderAdminPolicy(before)).toContain(`path "${issuer.path}" {\n  capabilities = ["read"]\n}`);
  });
});
