/**
 * What adoption says about a hand-made role before importing it: the differences status would
 * call drift (site/compare.ts), each in words that say what it means for MAAS.
 */
import { desiredSite } from '../../site/site.js';
import type { LiveRole } from '../../site/compare.js';
import { desiredRoleOf, roleDifferences } from '../../vault/adoption.js';
import { testConfig } from '../support/configs.js';

const config = testConfig({ controllers: [{ name: 'region-1', role: 'maas-region-1', cidrs: ['10.0.0.1/32'] }] });
const role = desiredRoleOf(desiredSite(config), 'region-1');

/** A role made by hand exactly as the docs' page says, read back from Vault. */
const handMade: LiveRole = {
  token_policies: [config.policy.name],
  token_ttl: 300,
  token_max_ttl: 0,
  token_num_uses: 0,
  secret_id_num_uses: 0,
  secret_id_ttl: 0,
  bind_secret_id: true,
  token_no_default_policy: false,
  token_type: 'default',
  // Vault reads a single-address token CIDR back without its /32.
  token_bound_cidrs: ['10.0.0.1'],
  secret_id_bound_cidrs: ['10.0.0.1/32'],
};

describe('roleDifferences', () => {
  it('adopts the role of the config by its own name', () => {
    expect(role.name).toBe('maas-region-1');
  });

  it('finds no difference in a role that already has the settings, whatever form Vault reads its CIDRs back in', () => {
    expect(roleDifferences(config, role, handMade)).toEqual([]);
  });

  it('says why each MAAS setting matters, in the order the plan lists them', () => {
    const found = roleDifferences(config, role, {
      ...handMade,
      token_ttl: 1800,
      secret_id_num_uses: 1,
      token_policies: ['root', config.policy.name],
      token_type: 'batch',
    });
    expect(found).toEqual([
      `role maas-region-1 grants policies [${config.policy.name}, root]: the config grants only ${config.policy.name}; apply sets token_policies=[${config.policy.name}]`,
      'role maas-region-1 has secret_id_num_uses=1: MAAS logs in again with the same secret_id whenever its token nears expiry, so it would lock itself out after 1 login (its next token expiry); apply sets 0',
      'role maas-region-1 gives tokens a TTL of 30m: the config asks for tokenTtl 5m; apply sets it',
      'role maas-region-1 issues batch tokens: MAAS renews its token and calls lookup-self, which batch tokens do not support; apply sets token_type=default',
    ]);
  });

  it('names every setting apply would change, service tokens and periods included', () => {
    const found = roleDifferences(config, role, { ...handMade, token_type: 'service', token_period: 3600, secret_id_bound_cidrs: [] });
    expect(found).toEqual([
      'role maas-region-1 has token_period=1h (periodic tokens): apply sets 0',
      'role maas-region-1 has token_type=service: apply sets token_type=default',
      'role maas-region-1 has secret_id_bound_cidrs=[]: the config asks for [10.0.0.1/32] (controllers[].cidrs); apply sets it: make sure the region logs in from there',
    ]);
  });

  it('says a setting without words of its own plainly', () => {
    expect(roleDifferences(config, role, { ...handMade, alias_metadata: { team: 'ops' } })).toEqual([
      'role maas-region-1 has alias_metadata={"team":"ops"}: apply sets {}',
    ]);
  });
});
