/**
 * The table of role settings is the one place a setting is decided: the admin policy's allowed
 * parameters for role paths must say exactly what it says, and each MAAS fact is in it.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ROLE_FIELDS, ROLE_SETTINGS, roleSettings, SECRET_ID_CALL_PARAMETERS, writtenRoleSettings, type RoleInput } from '../../site/role-settings.js';

const HCL = fileURLToPath(new URL('../../policies/admin-role-parameters.hcl', import.meta.url));

/** `"name" = [values]` per line of admin-role-parameters.hcl. */
function hclParameters(text: string): Map<string, unknown[]> {
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  return new Map(
    lines.map((line) => {
      const match = /^ {4}"([a-z_]+)" *= (\[.*\])$/.exec(line);
      if (!match) throw new Error(`unexpected line in admin-role-parameters.hcl: ${line}`);
      return [match[1], JSON.parse(match[2]) as unknown[]];
    }),
  );
}

const ROLES: RoleInput[] = [
  { kind: 'controller', policy: 'maas_lab', tokenTtl: 300 },
  { kind: 'controller', policy: 'maas_lab', tokenTtl: 300, tokenMaxTtl: 3600, secretIdTtl: 86400, cidrs: ['10.0.0.1/32'] },
  { kind: 'issuer', policy: 'maas-issuer_lab', tokenTtl: 900 },
  { kind: 'issuer', policy: 'maas-issuer_lab', tokenTtl: 900, cidrs: ['127.0.0.1/32'] },
];

describe('the role settings table', () => {
  it("is what the admin policy's role paths allow: each field the table lets the admin write, with the same values, and the secret-ID calls' parameters", () => {
    const expected = new Map<string, unknown[]>();
    for (const field of ROLE_FIELDS) {
      const admin = ROLE_SETTINGS[field].admin;
      // token_policies is pinned per path block (admin.hcl), to the policy of that block's roles.
      if (admin === undefined || admin === 'site-policies') continue;
      expected.set(field, admin === 'any' ? [] : [...admin]);
    }
    for (const parameter of SECRET_ID_CALL_PARAMETERS) expected.set(parameter, []);
    const actual = hclParameters(readFileSync(HCL, 'utf8'));
    expect(Object.fromEntries([...actual].sort())).toEqual(Object.fromEntries([...expected].sort()));
  });

  it('and every path block that takes those parameters pins token_policies to its policy', () => {
    const templates = ['admin.hcl', 'admin-issuer.hcl', 'admin-exact-role.hcl'].map((name) =>
      readFileSync(fileURLToPath(new URL(`../../policies/${name}`, import.meta.url)), 'utf8'),
    );
    const uses = templates.flatMap((text) => text.split('\n').filter((line) => line.includes('{{roleParameters}}')));
    expect(uses.length).toBeGreaterThanOrEqual(5);
    for (const line of uses) expect(line).toMatch(/^\{\{roleParameters\}\} {4}"token_policies" += \[\["\{\{\w+\}\}"\]\]$/);
  });

  it.each(ROLES)('lets the admin token write every field the stack writes for %j, with the value it writes', (role) => {
    for (const [field, value] of Object.entries(writtenRoleSettings(role))) {
      const admin = ROLE_SETTINGS[field as keyof typeof ROLE_SETTINGS].admin;
      expect([field, admin]).not.toEqual([field, undefined]);
      if (Array.isArray(admin)) expect([field, admin.includes(value as string | boolean)]).toEqual([field, true]);
    }
  });

  it('holds the MAAS facts: the stored secret_id logs in forever, tokens never run out, default policy attached, service tokens, bound secret IDs', () => {
    for (const role of ROLES) {
      expect(roleSettings(role)).toMatchObject({
        secret_id_num_uses: 0,
        token_num_uses: 0,
        token_no_default_policy: false,
        token_type: 'default',
        bind_secret_id: true,
        token_explicit_max_ttl: 0,
        token_period: 0,
        token_policies: [role.policy],
      });
    }
    for (const field of ['secret_id_num_uses', 'token_num_uses', 'token_no_default_policy', 'token_type', 'bind_secret_id'] as const) {
      expect([field, ROLE_SETTINGS[field].atDrift]).toEqual([field, expect.stringMatching(/MAAS|role ID alone/)]);
    }
    for (const field of ROLE_FIELDS) expect([field, ROLE_SETTINGS[field].why.length > 10]).toEqual([field, true]);
  });

  it("writes a controller's unlimited uses and default policy explicitly, and never writes a setting only the provider's zero value sets", () => {
    const written = writtenRoleSettings(ROLES[0]);
    expect(written).toMatchObject({ secret_id_num_uses: 0, token_num_uses: 0, token_no_default_policy: false, bind_secret_id: true, secret_id_ttl: 0 });
    expect(Object.keys(written)).not.toEqual(expect.arrayContaining(['token_max_ttl']));
    for (const field of ['token_period', 'token_type', 'token_explicit_max_ttl', 'alias_metadata'] as const) expect(written).not.toHaveProperty(field);
    expect(writtenRoleSettings(ROLES[1])).toMatchObject({
      token_max_ttl: 3600,
      secret_id_ttl: 86400,
      token_bound_cidrs: ['10.0.0.1/32'],
      secret_id_bound_cidrs: ['10.0.0.1/32'],
    });
  });
});
