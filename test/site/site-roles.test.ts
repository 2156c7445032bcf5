/** A site claims the roles of its own namespace, never another site's whose names share a prefix. */
import { issuerRoleName, roleName } from '../../config/index.js';
import { claimRole } from '../../site/site-roles.js';
import { normalizeTokenCidr } from '../../site/compare.js';

describe('claimRole', () => {
  const dc1 = { site: 'dc1' };

  it("claims its own controllers' and issuer's role names", () => {
    expect(claimRole(dc1, roleName(dc1, 'region-9'))).not.toBe('not-ours');
    expect(claimRole(dc1, issuerRoleName(dc1))).not.toBe('not-ours');
  });

  it("never claims outright a role of site dc1-b (it is at most ambiguous, settled by the role's policies)", () => {
    const other = roleName({ site: 'dc1-b' }, 'region-1');
    expect(claimRole(dc1, other)).not.toBe('ours');
    expect(claimRole({ site: 'dc1-b' }, other)).not.toBe('not-ours');
  });

  it('does not claim roles outside its namespace', () => {
    expect(claimRole(dc1, roleName({ site: 'dc2' }, 'region-1'))).toBe('not-ours');
    expect(claimRole(dc1, 'vault-admin')).toBe('not-ours');
  });
});

describe('normalizeTokenCidr (as the provider reads token_bound_cidrs back)', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1/32'],
    ['::1', '::1/128'],
    ['10.0.0.0/8', '10.0.0.0/8'],
  ])('%s -> %s', (input, output) => expect(normalizeTokenCidr(input)).toBe(output));
});
