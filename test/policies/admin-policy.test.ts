/** The admin policy as Vault would read it (a real HCL parser): what it pins, and what it leaves out. */
import { parse } from '@cdktf/hcl2json';
import { defaultPolicyName, issuerPolicyName, issuerRoleName, legacyNames, roleName, siteRolePrefix } from '../../config/index.js';
import { issuerPolicyFor, maasPolicyFor, renderAdminPolicy } from '../../policies/render.js';
import { testConfig } from '../support/configs.js';

type Block = { capabilities: string[]; allowed_parameters?: Record<string, unknown[]> };

async function blocks(config: ReturnType<typeof testConfig>): Promise<Record<string, Block>> {
  const parsed = (await parse('admin.hcl', renderAdminPolicy(config))) as { path: Record<string, Block[]> };
  return Object.fromEntries(Object.entries(parsed.path).map(([path, [block]]) => [path, block]));
}

it('pins the site’s policy texts and the roles’ policies', async () => {
  const config = testConfig({ issuer: { enabled: true } });
  const admin = await blocks(config);
  expect(admin[`sys/policies/acl/${config.policy.name}`].allowed_parameters?.policy).toEqual([maasPolicyFor(config)]);
  expect(admin[`sys/policies/acl/${issuerPolicyName(config)}`].allowed_parameters?.policy).toEqual([issuerPolicyFor(config)]);
  const roles = admin[`auth/approle/role/${siteRolePrefix(config)}*`].allowed_parameters!;
  expect(roles.token_policies).toEqual([[config.policy.name]]);
  expect(roles.token_no_default_policy).toEqual([false]);
  expect(roles.token_type).toEqual(['default', 'service']);
  expect(Object.keys(roles).filter((key) => /period|policies$/.test(key))).toEqual(['token_policies']);
  expect(admin[`auth/approle/role/${issuerRoleName(config)}`].allowed_parameters?.token_policies).toEqual([[issuerPolicyName(config)]]);
  expect(
    Object.keys(admin)
      .filter((path) => path.startsWith('sys/policies/acl/'))
      .sort(),
  ).toEqual(
    [
      `sys/policies/acl/${config.policy.name}`,
      `sys/policies/acl/${issuerPolicyName(config)}`,
      `sys/policies/acl/${defaultPolicyName(config)}_*`,
      'sys/policies/acl/*',
    ].sort(),
  );
  // Other policies' texts (which paths they grant): read, nothing else, and no parameter to pin.
  expect(admin['sys/policies/acl/*']).toEqual({ capabilities: ['read'] });
  expect(admin['sys/policies/acl']).toEqual({ capabilities: ['list'] });
});

it('leaves the issuer out when it is disabled (read and delete only, for what an earlier config created), and approle/ read-only when adopted', async () => {
  const config = testConfig({ approle: { adopt: true }, kv: { adopt: true } });
  const admin = await blocks(config);
  const issuer = Object.entries(admin).filter(([path]) => path.includes('issuer'));
  expect(Object.fromEntries(issuer.map(([path, block]) => [path, block.capabilities]))).toEqual({
    [`sys/policies/acl/${issuerPolicyName(config)}`]: ['read', 'delete'],
    [`auth/approle/role/${issuerRoleName(config)}`]: ['read', 'delete'],
    [`auth/approle/role/${issuerRoleName(config)}/role-id`]: ['read'],
  });
  expect(admin['sys/auth/approle']).toBeUndefined();
  expect(admin['sys/auth/approle/tune']).toBeUndefined();
  expect(admin['sys/mounts/secret']).toBeUndefined();
});

it('grants the old names one by one during the migration, never by glob', async () => {
  const config = testConfig({ keepLegacyNames: true, issuer: { enabled: true } });
  const admin = await blocks(config);
  const legacy = Object.keys(admin).filter((path) => path.includes('maas-') && !path.includes('maas-issuer_'));
  expect(legacy.sort()).toEqual(
    [
      `sys/policies/acl/${legacyNames.policy(config)}`,
      `sys/policies/acl/${legacyNames.issuerPolicy(config)}`,
      ...[...config.controllers.map((c) => legacyNames.role(config, c.name)), legacyNames.issuerRole(config)].flatMap((role) => [
        `auth/approle/role/${role}`,
        `auth/approle/role/${role}/*`,
      ]),
    ].sort(),
  );
  expect(admin[`auth/approle/role/${legacyNames.role(config, 'region-1')}`].allowed_parameters?.token_policies).toEqual([[legacyNames.policy(config)]]);
  expect(roleName(config, 'region-1')).not.toBe(legacyNames.role(config, 'region-1'));
});

it('never writes one path twice (Vault merges the blocks of a path: an unpinned one would undo a pin)', async () => {
  const configs = [
    testConfig(),
    testConfig({ issuer: { enabled: true } }),
    testConfig({ policy: { name: 'maas_lab_custom' } }),
    testConfig({ keepLegacyNames: true, issuer: { enabled: true } }),
  ];
  for (const config of configs) {
    const paths = [...renderAdminPolicy(config).matchAll(/^path "([^"]+)"/gm)].map(([, path]) => path);
    expect(paths.filter((path, at) => paths.indexOf(path) !== at)).toEqual([]);
  }
});

it("grants what an earlier config left read and delete only, on this site's names; other sites' roles readable, nothing deeper", async () => {
  const config = testConfig({ policy: { name: 'maas_lab_custom' } });
  const admin = await blocks(config);
  expect(admin['auth/approle/role/+'].capabilities).toEqual(['read']);
  expect(admin[`sys/policies/acl/${defaultPolicyName(config)}`].capabilities).toEqual(['read', 'delete']);
  expect(admin[`sys/policies/acl/${defaultPolicyName(config)}_*`].capabilities).toEqual(['read', 'delete']);
  expect(admin[`sys/policies/acl/${config.policy.name}`].allowed_parameters?.policy).toEqual([maasPolicyFor(config)]);
  // Every path that deletes a policy or a role names this site's own policy or role prefix, or its issuer.
  const deleting = Object.entries(admin).filter(
    ([path, block]) => /^(sys\/policies\/acl|auth\/approle\/role)\//.test(path) && block.capabilities.includes('delete'),
  );
  expect(deleting.length).toBeGreaterThan(3);
  for (const [path] of deleting) {
    // sys/policies/acl/NAME and auth/approle/role/NAME: the name is the fourth segment either way.
    const name = path.split('/')[3] ?? '';
    const own = name === issuerPolicyName(config) || name === defaultPolicyName(config) || name.startsWith(`${defaultPolicyName(config)}_`);
    expect([path, own]).toEqual([path, true]);
  }
});
