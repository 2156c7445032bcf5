/** Config rules for adopting a hand-made set-up: explicit role names, checked like every other field. */
import { adoptedRoles, issuerRoleName, roleName } from '../../config/index.js';
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
      [{ name: 'region-1', role: 'maas-region' }, { name: 'region-2', role: 'maas-region' }],
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

  it('the issuer and admin policies grant adopted roles by name', () => {
    const config = testConfig({ controllers: [{ name: 'region-1', role: 'maas_region.1' }] });
    const issuer = renderIssuerPolicy({ site: config.site, roles: [roleName(config, 'region-1')], maxWrapTtl: '24h' });
    expect(issuer).toContain('path "auth/approle/role/maas_region.1/secret-id"');
    const admin = renderAdminPolicy({ site: config.site, mount: 'secret', policy: 'p', issuerPolicy: 'q', adoptedRoles: ['maas_region.1'] });
    expect(admin).toContain('path "auth/approle/role/maas_region.1" {');
    expect(admin).toContain('path "auth/approle/role/maas_region.1/*" {');
  });
});
