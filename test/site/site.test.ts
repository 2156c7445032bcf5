/**
 * The desired site is what the stack synthesizes: every role, policy, secret ID and mount in the
 * JSON equals its description, field for field, for configs that exercise each branch.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issuerRoleName, legacyNames, roleName } from '../../config/index.js';
import { stackFootprint } from '../../engine/footprint.js';
import { desiredSite, siteFootprint, stackSecretIdMetadata, type DesiredRole } from '../../site/site.js';
import { testConfig } from '../support/configs.js';
import { synthesizeWithImports } from '../support/synth.js';

type Block = Record<string, unknown>;
type Json = { resource: Record<string, Record<string, Block>>; data?: Record<string, Record<string, Block>> };

const CONFIGS: [string, Record<string, unknown>][] = [
  ['the defaults', {}],
  [
    'every setting',
    {
      kv: { mount: 'kv-maas', maxVersions: 10 },
      secretsPath: 'maas/lab',
      policy: { profile: 'strict', lookupSelf: true },
      tokenTtl: '5m',
      tokenMaxTtl: '1h',
      secretIdTtl: '30d',
      wrapTtl: '15m',
      generation: 7,
      issuer: { enabled: true, tokenTtl: '15m', cidrs: ['127.0.0.1/32'] },
      controllers: [{ name: 'region-1', cidrs: ['10.0.0.1/32', '10.0.1.0/24'] }, { name: 'region-2' }],
    },
  ],
  [
    'the migration from the old names',
    { keepLegacyNames: true, issuer: { enabled: true }, controllers: [{ name: 'region-1', revoked: true }, { name: 'region-2' }] },
  ],
  [
    'adopted mounts, policy and role',
    {
      kv: { mount: 'secret', adopt: true },
      approle: { adopt: true },
      policy: { adopt: true },
      controllers: [{ name: 'region-1', role: 'maas-region-1' }, { name: 'region-2' }],
    },
  ],
  ['secret IDs from CI only', { stackSecretIds: false, issuer: { enabled: true } }],
];

/** Replaces `${type.id.attribute}` references with the referenced literal, as the engine would. */
function resolve(json: Json, value: unknown): unknown {
  if (typeof value === 'string') {
    const reference = /^\$\{(data\.)?([a-z0-9_]+)\.([^.]+)\.([a-z_]+)\}$/.exec(value);
    if (!reference) return value;
    const [, data, type, id, attribute] = reference;
    const block = (data ? json.data : json.resource)?.[type]?.[id];
    if (!block) throw new Error(`unresolved reference ${value}`);
    return resolve(json, block[attribute]);
  }
  if (Array.isArray(value)) return value.map((item) => resolve(json, item));
  return value;
}

function synthesizedRoles(json: Json): Map<string, Block> {
  const roles = Object.values(json.resource.vault_approle_auth_backend_role ?? {}).map((block) => {
    const settings = Object.fromEntries(
      Object.entries(block)
        .filter(([key]) => key !== '//')
        .map(([key, value]) => [key, resolve(json, value)]),
    );
    return [settings.role_name as string, settings] as const;
  });
  return new Map(roles);
}

describe.each(CONFIGS)('the desired site of %s', (_, overrides) => {
  const config = testConfig(overrides);
  const site = desiredSite(config);
  const json = synthesizeWithImports(config) as Json;

  it('holds each synthesized role, with exactly the settings its description says the stack writes', () => {
    const synthesized = synthesizedRoles(json);
    expect([...synthesized.keys()].sort()).toEqual(site.roles.map((role) => role.name).sort());
    for (const role of site.roles) {
      expect(synthesized.get(role.name)).toEqual({ backend: config.approle.mount, role_name: role.name, ...role.written });
    }
  });

  it('writes no setting that differs from what Vault should hold', () => {
    for (const role of site.roles) expect({ ...role.settings, ...role.written }).toEqual(role.settings);
  });

  it('holds each synthesized policy with its rendered text', () => {
    const synthesized = Object.values(json.resource.vault_policy).map((block) => [block.name, block.policy]);
    expect(synthesized.sort()).toEqual(site.policies.map((policy) => [policy.name, policy.text]).sort());
  });

  it('issues the secret IDs it describes, wrapped and with their metadata', () => {
    const issued = Object.values(json.resource.vault_approle_auth_backend_role_secret_id ?? {}).map((block) => ({
      role: resolve(json, block.role_name),
      wrapTtl: block.wrapping_ttl,
      metadata: JSON.parse(block.metadata as string),
    }));
    const described = site.roles
      .filter((role) => role.secretId)
      .map((role) => ({ role: role.name, wrapTtl: role.secretId!.wrapTtl, metadata: role.secretId!.metadata }));
    expect(issued.sort((a, b) => String(a.role).localeCompare(String(b.role)))).toEqual(described.sort((a, b) => a.role.localeCompare(b.role)));
  });

  it("owns what the stack creates: the engine's footprint of the JSON is the site's", () => {
    const dir = mkdtempSync(join(tmpdir(), 'site-footprint-'));
    try {
      writeFileSync(join(dir, 'cdk.tf.json'), JSON.stringify(json));
      const footprint = stackFootprint(join(dir, 'cdk.tf.json'));
      const owned = siteFootprint(site);
      for (const key of ['mounts', 'authMounts', 'policies', 'roles'] as const)
        expect([key, [...footprint[key]].sort()]).toEqual([key, [...owned[key]].sort()]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("mounts KV-v2 and enables approle as described, or only writes an adopted mount's settings", () => {
    if (site.kv.adopt) {
      expect(json.resource.vault_mount).toBeUndefined();
      expect(JSON.parse(Object.values(json.resource.vault_generic_endpoint)[0].data_json as string)).toEqual(site.kv.settings);
    } else {
      expect(Object.values(json.resource.vault_mount)[0]).toMatchObject({
        path: site.kv.mount,
        type: 'kv',
        options: site.kv.options,
        description: site.kv.description,
      });
      const { mount: _, ...settings } = Object.values(json.resource.vault_kv_secret_backend_v2)[0];
      expect(settings).toEqual(site.kv.settings);
    }
    if (site.approle.adopt) expect(json.resource.vault_auth_backend).toBeUndefined();
    else
      expect(Object.values(json.resource.vault_auth_backend)[0]).toMatchObject({
        path: site.approle.mount,
        type: 'approle',
        description: site.approle.description,
      });
  });
});

describe('desiredSite', () => {
  const controller = (roles: DesiredRole[], name: string) =>
    roles.find((role) => role.kind === 'controller' && role.controller === name && role.names === 'current')!;

  it('gives a controller role what MAAS needs: unlimited secret-ID and token uses, the MAAS policy plus default, a bound secret ID', () => {
    const config = testConfig({ tokenTtl: '10m' });
    const role = controller(desiredSite(config).roles, 'region-1');
    expect(role.name).toBe(roleName(config, 'region-1'));
    expect(role.settings).toMatchObject({
      token_policies: [config.policy.name],
      token_no_default_policy: false,
      token_ttl: 600,
      token_num_uses: 0,
      secret_id_num_uses: 0,
      secret_id_ttl: 0,
      bind_secret_id: true,
      token_type: 'default',
    });
    expect(role.secretId).toEqual({ wrapTtl: config.wrapTtl, metadata: stackSecretIdMetadata(config, 'region-1') });
  });

  it('issues no secret ID to a revoked controller, nor under the current names to one rotation manages', () => {
    const config = testConfig({ keepLegacyNames: true, controllers: [{ name: 'region-1', revoked: true }, { name: 'region-2' }] });
    const site = desiredSite(config, new Set(['region-2']));
    expect(controller(site.roles, 'region-1').secretId).toBeUndefined();
    expect(controller(site.roles, 'region-1').revoked).toBe(true);
    expect(controller(site.roles, 'region-2').secretId).toBeUndefined();
    expect(site.roles.find((role) => role.name === legacyNames.role(config, 'region-2'))?.secretId).toBeDefined();
  });

  it("lets the issuer mint for every controller not revoked, in each name set, under the issuer's own policy", () => {
    const config = testConfig({ keepLegacyNames: true, issuer: { enabled: true }, controllers: [{ name: 'region-1', revoked: true }, { name: 'region-2' }] });
    const issuers = desiredSite(config).roles.filter((role) => role.kind === 'issuer');
    expect(issuers.map((role) => [role.name, role.issues])).toEqual([
      [issuerRoleName(config), [roleName(config, 'region-2')]],
      [legacyNames.issuerRole(config), [legacyNames.role(config, 'region-2')]],
    ]);
    for (const issuer of issuers) expect(issuer.settings.token_max_ttl).toBe(issuer.settings.token_ttl);
  });

  it('names the adopted objects, under the current names only', () => {
    const config = testConfig({ policy: { adopt: true }, controllers: [{ name: 'region-1', role: 'maas-region-1' }, { name: 'region-2' }] });
    const site = desiredSite(config);
    expect(site.roles.filter((role) => role.adopted).map((role) => role.name)).toEqual(['maas-region-1']);
    expect(site.policies.filter((policy) => policy.adopted).map((policy) => policy.name)).toEqual([config.policy.name]);
  });
});
