/**
 * status and adoption compare a live Vault with the desired site through these functions: fed
 * Vault's answers written by hand here, each kind of drift is found, and Vault's own
 * normalization (CIDRs without /32, lists in any order, fields older servers leave out) is none.
 */
import {
  approleMountDrift,
  kvMountDrift,
  kvSettingsDrift,
  liveRoleFields,
  policyDifference,
  roleDrift,
  secretIdDrift,
  type MountEntry,
  type LiveRole,
} from '../../site/compare.js';
import { ROLE_FIELDS, type RoleFields } from '../../site/role-settings.js';
import { desiredSite } from '../../site/site.js';
import { testConfig } from '../support/configs.js';

const config = testConfig({ tokenTtl: '5m', tokenMaxTtl: '1h', controllers: [{ name: 'region-1', cidrs: ['10.0.0.1/32', '10.0.1.0/24'] }] });
const site = desiredSite(config);
const role = site.roles[0];

/** `vault read auth/approle/role/NAME` of a role the stack wrote, as Vault answers it. */
function vaultAnswer(overrides: LiveRole = {}): LiveRole & Record<string, unknown> {
  return {
    bind_secret_id: true,
    local_secret_ids: false,
    policies: [config.policy.name],
    secret_id_bound_cidrs: ['10.0.1.0/24', '10.0.0.1/32'],
    secret_id_num_uses: 0,
    secret_id_ttl: 0,
    token_bound_cidrs: ['10.0.1.0/24', '10.0.0.1'],
    token_explicit_max_ttl: 0,
    token_max_ttl: 3600,
    token_no_default_policy: false,
    token_num_uses: 0,
    token_period: 0,
    token_policies: [config.policy.name],
    token_ttl: 300,
    token_type: 'default',
    ...overrides,
  };
}

/** A value of the field's type that differs from the desired one. */
function otherValue(value: RoleFields[keyof RoleFields]): unknown {
  if (typeof value === 'number') return value + 7;
  if (typeof value === 'boolean') return !value;
  if (typeof value === 'string') return 'batch';
  if (Array.isArray(value)) return [...value, '192.0.2.1/32'];
  return { team: 'ops' };
}

describe('roleDrift', () => {
  it("finds nothing in a role as Vault reads back what the stack wrote (token CIDRs without /32, lists in Vault's order)", () => {
    expect(roleDrift(role, vaultAnswer())).toEqual([]);
  });

  it('finds nothing in a role from an older server that leaves out token_type, token_period and alias_metadata, and names policies `policies`', () => {
    const { token_type: _, token_period: __, token_policies: ___, ...older } = vaultAnswer();
    expect(roleDrift(role, older)).toEqual([]);
  });

  it.each(ROLE_FIELDS)('finds a change of %s, and only that one, with the value Vault holds and the one expected', (field) => {
    const changed = otherValue(role.settings[field]);
    const differences = roleDrift(role, vaultAnswer({ [field]: changed }));
    expect(differences.map((difference) => difference.field)).toEqual([field]);
    expect(differences[0].expected).toEqual(liveRoleFields({ [field]: role.settings[field] })[field]);
  });

  it('finds a policy added to a role (say root), and a default policy dropped', () => {
    expect(roleDrift(role, vaultAnswer({ token_policies: ['root', config.policy.name] }))).toEqual([
      { field: 'token_policies', actual: [config.policy.name, 'root'], expected: [config.policy.name] },
    ]);
    expect(roleDrift(role, vaultAnswer({ token_no_default_policy: true })).map((difference) => difference.field)).toEqual(['token_no_default_policy']);
  });

  it('finds CIDRs removed from a role', () => {
    const differences = roleDrift(role, vaultAnswer({ token_bound_cidrs: null, secret_id_bound_cidrs: [] }));
    expect(differences).toEqual([
      { field: 'token_bound_cidrs', actual: [], expected: ['10.0.0.1/32', '10.0.1.0/24'] },
      { field: 'secret_id_bound_cidrs', actual: [], expected: ['10.0.0.1/32', '10.0.1.0/24'] },
    ]);
  });

  it("compares the issuer's role with the issuer's settings", () => {
    const issuerSite = desiredSite(testConfig({ issuer: { enabled: true, tokenTtl: '15m' } }));
    const issuer = issuerSite.roles.find((entry) => entry.kind === 'issuer')!;
    const answer = vaultAnswer({ token_policies: [issuer.policy], token_ttl: 900, token_max_ttl: 900, token_bound_cidrs: [], secret_id_bound_cidrs: [] });
    expect(roleDrift(issuer, answer)).toEqual([]);
    expect(roleDrift(issuer, { ...answer, token_max_ttl: 0 }).map((difference) => difference.field)).toEqual(['token_max_ttl']);
  });
});

describe('mount comparisons', () => {
  const kvAnswer = (overrides: Partial<MountEntry> = {}): MountEntry => ({
    type: 'kv',
    description: site.kv.description,
    local: false,
    external_entropy_access: false,
    options: { version: '2' },
    config: { listing_visibility: '' },
    ...overrides,
  });

  it("finds nothing on the site's own mounts as the stack made them", () => {
    expect(kvMountDrift(site.kv, kvAnswer())).toEqual([]);
    expect(approleMountDrift(site.approle, { type: 'approle', description: site.approle.description, local: false })).toEqual([]);
  });

  it('finds a changed description, a local mount, listing visibility and passed-through headers', () => {
    const found = kvMountDrift(
      site.kv,
      kvAnswer({ description: 'x', local: true, config: { listing_visibility: 'unauth', passthrough_request_headers: ['X-B', 'X-A'] } }),
    );
    expect(found.map((difference) => difference.field)).toEqual(['description', 'local', 'listing_visibility', 'passthrough_request_headers']);
    expect(found[3].actual).toEqual(['X-A', 'X-B']);
    expect(approleMountDrift(site.approle, { type: 'approle', description: '', local: false }).map((difference) => difference.field)).toEqual(['description']);
  });

  it('finds delete_version_after on its own mount, and max_versions only where the config names it', () => {
    expect(kvSettingsDrift(site.kv, { cas_required: false, max_versions: 3, delete_version_after: '1h0m0s' })).toEqual([
      { field: 'delete_version_after', actual: 3600, expected: 0 },
    ]);
    const named = desiredSite(testConfig({ kv: { maxVersions: 7 } })).kv;
    expect(kvSettingsDrift(named, { cas_required: false, max_versions: 3, delete_version_after: '0s' })).toEqual([
      { field: 'max_versions', actual: 3, expected: 7 },
    ]);
  });

  it("leaves an adopted mount's other settings alone: only a configured max_versions is compared", () => {
    const adopted = desiredSite(testConfig({ kv: { mount: 'secret', adopt: true } })).kv;
    expect(kvSettingsDrift(adopted, { cas_required: false, max_versions: 3, delete_version_after: '1h' })).toEqual([]);
  });
});

describe('policyDifference', () => {
  const policy = site.policies[0];

  it('finds nothing in the text exactly as rendered', () => {
    expect(policyDifference(policy, policy.text)).toEqual({ kind: 'same' });
  });

  it('tells a policy laid out differently (comments, spacing) from one that grants more, and says where they part', () => {
    const relaidOut = policy.text.replace(/^#.*\n/gm, '').replace(/ = /g, '=');
    expect(policyDifference(policy, relaidOut)).toMatchObject({ kind: 'layout', where: expect.stringMatching(/^line 1 is /) });
    const wider = `${policy.text}\npath "sys/*" {\n  capabilities = ["sudo"]\n}\n`;
    expect(policyDifference(policy, wider)).toMatchObject({
      kind: 'grants',
      where: expect.stringMatching(/^line \d+ is "path \\"sys\/\*\\" \{", expected \(end of text\)$/),
    });
  });
});

describe('secretIdDrift', () => {
  const secretId = site.roles[0].secretId!;
  const issued = { metadata: JSON.stringify(secretId.metadata), wrappingTtl: secretId.wrapTtl };

  it('finds nothing in the secret ID as issued, whatever the order of its metadata keys', () => {
    const reordered = Object.fromEntries(Object.entries(secretId.metadata).reverse());
    expect(secretIdDrift(secretId, { ...issued, metadata: JSON.stringify(reordered) })).toEqual([]);
  });

  it('finds a secret ID of another generation, one wrapped for another TTL, and one whose metadata cannot be read', () => {
    expect(
      secretIdDrift(secretId, { ...issued, metadata: JSON.stringify({ ...secretId.metadata, generation: '0' }) }).map((difference) => difference.field),
    ).toEqual(['metadata']);
    expect(secretIdDrift(secretId, { ...issued, wrappingTtl: '1h' })).toEqual([{ field: 'wrapping_ttl', actual: '1h', expected: secretId.wrapTtl }]);
    expect(secretIdDrift(secretId, { ...issued, metadata: '{' })).toEqual([{ field: 'metadata', actual: undefined, expected: secretId.metadata }]);
  });
});
