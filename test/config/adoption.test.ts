/** Config rules for adopting a hand-made set-up: explicit role names, checked like every other field. */
import { adoptedRoles, defaultPolicyName, issuerPolicyName, issuerRoleName, legacyNames, roleName, siteRolePrefix } from '../../config/index.js';
import { renderAdminPolicy, renderIssuerPolicy } from '../../policies/render.js';
import { configInput, problemsOf, testConfig } from '../support/configs.js';

const adopted = (controllers: Array<Record<string, unknown>>, overrides: Record<string, unknown> = {}) => configInput({ controllers, ...overrides });

describe('adopted role names', () => {
  it('roleName resolves an explicit role, and the derived name for the others', () => {
    const config = testConfig({ controllers: [{ name: 'region-1', role: 'maas-region-1' }, { name: 'region-2' }] });
    expect(roleName(config, 'region-1')).toBe('maas-region-1');
    expect(roleName(config, 'region-2')).not.toBe('maas-region-1');
    expect([...adoptedRoles(config)]).toEqual([['region-1', 'maas-region-1']]);
  });

  it('an adopting site issues no secret ID from the stack unless the config asks', () => {
    expect(testConfig({ controllers: [{ name: 'region-1', role: 'maas-region-1' }] }).stackSecretIds).toBe(false);
    expect(testConfig({ controllers: [{ name: 'region-1', role: 'maas-region-1' }], stackSecretIds: true }).stackSecretIds).toBe(true);
    expect(testConfig().stackSecretIds).toBe(true);
  });

  it('accepts role names as Vault lists them, underscores and dots included', () => {
    expect(problemsOf(adopted([{ name: 'region-1', role: 'maas_region.1' }]))).toEqual([]);
  });

  const refused: Array<[string, Array<Record<string, unknown>>, string]> = [
    ['uppercase', [{ name: 'region-1', role: 'MAAS-Region-1' }], 'controllers[0].role: must be an AppRole role name as Vault lists it'],
    ['a slash reaching another path', [{ name: 'region-1', role: 'maas/../x' }], 'controllers[0].role: must be an AppRole role name as Vault lists it'],
    ['a glob', [{ name: 'region-1', role: 'maas-*' }], 'controllers[0].role: must be an AppRole role name as Vault lists it'],
    ['a newline', [{ name: 'region-1', role: 'maas\nx' }], 'controllers[0].role: must be an AppRole role name as Vault lists it'],
    ['empty', [{ name: 'region-1', role: '' }], 'controllers[0].role: must not be empty'],
    ['too long', [{ name: 'region-1', role: 'r'.repeat(129) }], 'controllers[0].role: must be at most 128 characters'],
    [
      'two controllers on one role',
      [
        { name: 'region-1', role: 'maas-region' },
        { name: 'region-2', role: 'maas-region' },
      ],
      'controllers[1].role: gives role "maas-region", which controllers[0] already uses: each region controller needs its own role',
    ],
  ];
  it.each(refused)('refuses %s, naming the field', (_, controllers, expected) => {
    const problems = problemsOf(adopted(controllers));
    expect(problems).toHaveLength(1);
    expect(problems[0].startsWith(expected)).toBe(true);
  });

  it("refuses an explicit role that is another controller's derived role", () => {
    const derived = roleName(testConfig({ controllers: [{ name: 'region-2' }] }), 'region-2');
    expect(problemsOf(adopted([{ name: 'region-1', role: derived }, { name: 'region-2' }]))).toEqual([
      `controllers[1].name: gives role "${derived}", which controllers[0] already uses: each region controller needs its own role`,
    ]);
  });

  it("refuses the CI issuer's role", () => {
    const issuer = issuerRoleName(testConfig());
    expect(problemsOf(adopted([{ name: 'region-1', role: issuer }]))).toEqual([
      `controllers[0].role: gives role "${issuer}", which is the CI issuer's role: pick another role name`,
    ]);
  });

  it('the issuer and admin policies grant adopted roles by name; the admin one pins them like the site glob', () => {
    const config = testConfig({ controllers: [{ name: 'region-1', role: 'maas_region.1' }, { name: 'region-2' }] });
    const issuer = renderIssuerPolicy({ site: config.site, roles: [roleName(config, 'region-1')], maxWrapTtl: '24h' });
    expect(issuer).toContain('path "auth/approle/role/maas_region.1/secret-id"');
    const admin = renderAdminPolicy(config);
    const exact = blockOf(admin, 'auth/approle/role/maas_region.1');
    const below = blockOf(admin, 'auth/approle/role/maas_region.1/*');
    const glob = blockOf(admin, `auth/approle/role/${siteRolePrefix(config)}*`);
    // The same non-escalation parameters as the site's own roles: only the MAAS policy, no period, bound secret IDs.
    const parameters = (block: string) => block.slice(block.indexOf('allowed_parameters'));
    expect(parameters(exact)).toBe(parameters(glob));
    expect(parameters(below)).toBe(parameters(glob));
    expect(exact).toContain(`"token_policies"          = [["${config.policy.name}"]]`);
    // region-2's role is under the site's glob: no block of its own.
    expect(admin).not.toContain(`path "auth/approle/role/${roleName(config, 'region-2')}"`);
  });

  it("refuses a role or adopted policy in another site's namespace, and any issuer's", () => {
    const other = testConfig({ site: 'other' });
    const otherRole = roleName(other, 'region-1');
    expect(problemsOf(adopted([{ name: 'region-1', role: otherRole }]))).toEqual([
      `controllers[0].role: "${otherRole}" is a role name of site other (maas_<site>_<controller>), not of site lab: adopt only a role of your own set-up`,
    ]);
    const otherIssuer = issuerRoleName(other);
    expect(problemsOf(adopted([{ name: 'region-1', role: otherIssuer }]))[0]).toMatch(/^controllers\[0\]\.role: ".*" is in the CI issuers' namespace/);
    // This site's own namespace is fine for an adopted role.
    const own = testConfig();
    expect(problemsOf(adopted([{ name: 'region-1', role: `${siteRolePrefix(own)}hand-made` }]))).toEqual([]);
    for (const name of [defaultPolicyName(other), `${defaultPolicyName(other)}_x`, issuerPolicyName(other)]) {
      expect(problemsOf(configInput({ policy: { name, adopt: true } }))).toHaveLength(1);
      expect(problemsOf(configInput({ policy: { name, adopt: true } }))[0]).toMatch(/^policy\.name: /);
    }
  });

  it('policy.name outside maas_<site> is allowed exactly when the policy is adopted, and then granted by that name', () => {
    expect(problemsOf(configInput({ policy: { name: 'maas-secrets' } }))[0]).toMatch(/^policy\.name: "maas-secrets" is not a policy of site lab/);
    expect(problemsOf(configInput({ policy: { name: 'maas-secrets', adopt: true } }))).toEqual([]);
    const config = testConfig({ policy: { name: 'maas-secrets', adopt: true } });
    expect(blockOf(renderAdminPolicy(config), 'sys/policies/acl/maas-secrets')).toContain('allowed_parameters');
  });

  it('with keepLegacyNames, an adopted name must not be one of the old names the migration keeps', () => {
    const config = testConfig();
    const legacyRole = legacyNames.role(config, 'region-2');
    expect(problemsOf(adopted([{ name: 'region-1', role: legacyRole }, { name: 'region-2' }], { keepLegacyNames: true }))[0]).toMatch(
      /^controllers\[0\]\.role: ".*" is one of the old names keepLegacyNames keeps/,
    );
    expect(problemsOf(adopted([{ name: 'region-1', role: legacyRole }, { name: 'region-2' }]))).toEqual([]);
    expect(problemsOf(configInput({ keepLegacyNames: true, policy: { name: legacyNames.policy(config), adopt: true } }))[0]).toMatch(/^policy\.name: /);
  });
});

/** The text of one `path "…" { … }` block of a policy. */
function blockOf(policy: string, path: string): string {
  const start = policy.indexOf(`path "${path}" {`);
  if (start === -1) throw new Error(`no block for ${path}`);
  const end = policy.indexOf('\n}', start);
  return policy.slice(start, end + 2);
}
