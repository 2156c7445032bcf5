/**
 * Names cannot collide across sites: the property the whole multi-site story rests on. Sites and
 * controllers are generated from a small alphabet so that the old scheme's collisions
 * (`dc1` + `b-region-1` = `dc1-b` + `region-1`) come up often.
 */
import fc from 'fast-check';
import { issuerPolicyName, issuerRoleName, roleName, validateConfig, type MaasVaultConfig } from '../../config/index.js';
import { legacyNames } from '../../config/naming.js';
import { renderAdminPolicy } from '../../policies/render.js';
import { grantsOf } from '../support/policy.js';
import { configInput, problemsOf, testConfig } from '../support/configs.js';

const label = fc.stringMatching(/^[ab1](?:[ab1-]{0,4}[ab1])?$/);
const site = fc.oneof(
  label,
  fc.tuple(label, label).map(([a, b]) => `${a}-${b}`),
);
const controller = fc.oneof(
  label,
  fc.tuple(label, label).map(([a, b]) => `${a}-${b}`),
  fc.tuple(label, label).map(([a, b]) => `${a}.${b}`),
);
const siteInput = fc.record({
  site,
  controllers: fc.uniqueArray(controller, { minLength: 1, maxLength: 4 }).map((names) => names.map((name) => ({ name }))),
  policySuffix: fc.option(label, { nil: undefined }),
  issuer: fc.boolean(),
});

function build(input: { site: string; controllers: Array<{ name: string }>; policySuffix?: string; issuer: boolean }): MaasVaultConfig {
  return validateConfig(
    configInput({
      site: input.site,
      controllers: input.controllers,
      issuer: { enabled: input.issuer },
      ...(input.policySuffix ? { policy: { name: `maas_${input.site}_${input.policySuffix}` } } : {}),
    }),
    { env: {}, source: 'test' },
  );
}

const rolesOf = (config: MaasVaultConfig) => [
  ...config.controllers.map((c) => roleName(config, c.name)),
  ...(config.issuer.enabled ? [issuerRoleName(config)] : []),
];
const policiesOf = (config: MaasVaultConfig) => [config.policy.name, ...(config.issuer.enabled ? [issuerPolicyName(config)] : [])];

/** Vault's glob: a trailing '*' matches any suffix; these policies use no '+'. */
const matches = (pattern: string, path: string) => (pattern.endsWith('*') ? path.startsWith(pattern.slice(0, -1)) : path === pattern);

describe('names derived from the config', () => {
  it('give the issue’s colliding pair two different roles', () => {
    const a = testConfig({ site: 'dc1', controllers: [{ name: 'b-region-1' }] });
    const b = testConfig({ site: 'dc1-b', controllers: [{ name: 'region-1' }] });
    expect(legacyNames.role(a, 'b-region-1')).toBe(legacyNames.role(b, 'region-1'));
    expect(roleName(a, 'b-region-1')).not.toBe(roleName(b, 'region-1'));
  });

  it('never give a controller the issuer’s role', () => {
    const config = testConfig({ controllers: [{ name: 'issuer' }], issuer: { enabled: true } });
    expect(legacyNames.role(config, 'issuer')).toBe(legacyNames.issuerRole(config));
    expect(roleName(config, 'issuer')).not.toBe(issuerRoleName(config));
  });

  it('are injective across every pair of valid configs, and no site’s name falls inside another site’s admin globs', async () => {
    let differentSites = 0;
    await fc.assert(
      fc.asyncProperty(siteInput, siteInput, async (inputA, inputB) => {
        const a = build(inputA);
        const b = build(inputB);
        // Within a site: one role per controller, none equal to the issuer's.
        expect(new Set(rolesOf(a)).size).toBe(rolesOf(a).length);
        if (a.site === b.site) return;
        differentSites += 1;
        expect(rolesOf(a).filter((role) => rolesOf(b).includes(role))).toEqual([]);
        expect(policiesOf(a).filter((policy) => policiesOf(b).includes(policy))).toEqual([]);
        const grants = await grantsOf(renderAdminPolicy(a));
        // Read-only globs let a site see others' policy texts (whose paths nest), never change them.
        expect(grants.filter((grant) => grant.path === 'sys/policies/acl/*').map((grant) => grant.capabilities)).toEqual([['read']]);
        const patterns = grants
          .filter((grant) => grant.capabilities.some((capability) => capability !== 'read' && capability !== 'list'))
          .map((grant) => grant.path);
        const pathsOfB = [
          ...rolesOf(b).flatMap((role) => [`auth/approle/role/${role}`, `auth/approle/role/${role}/secret-id`, `auth/approle/role/${role}/role-id`]),
          ...policiesOf(b).map((policy) => `sys/policies/acl/${policy}`),
        ];
        expect(pathsOfB.filter((path) => patterns.some((pattern) => matches(pattern, path)))).toEqual([]);
      }),
      { numRuns: 150 },
    );
    expect(differentSites).toBeGreaterThan(100);
  });
});

describe('policy.name stays in the site’s namespace', () => {
  it.each([
    ['another site’s policy', 'maas_other'],
    ['the old name', 'maas-lab'],
    ['a prefix of this site in another site', 'maas_la'],
    ['a suffix with another separator', 'maas_lab_a_b'],
    ['any policy', 'admins'],
  ])('refuses %s', (_, name) => {
    expect(problemsOf(configInput({ policy: { name } }))).toEqual([
      `policy.name: "${name}" is not a policy of site lab: write "maas_lab" or "maas_lab_<suffix>" (suffix of lowercase letters, digits and '-', at most 64 characters in all), so no site can name another site's policy`,
    ]);
  });

  it.each(['maas_lab', 'maas_lab_strict', 'maas_lab_v-2'])('accepts %s', (name) => {
    expect(testConfig({ policy: { name } }).policy.name).toBe(name);
  });
});
