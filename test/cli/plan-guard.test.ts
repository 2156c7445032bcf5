/** The guard's reading of policy texts: which KV paths a MAAS policy grants. */
import { grantedSecretPaths } from '../../cli/commands/plan-guard.js';
import { renderMaasPolicy } from '../../policies/render.js';

describe('grantedSecretPaths', () => {
  it('finds the mount and secrets path of every profile the stack renders', () => {
    for (const profile of ['strict', 'documented'] as const) {
      expect(grantedSecretPaths(renderMaasPolicy({ mount: 'kv-maas', path: 'maas/site-a', profile, lookupSelf: true }))).toEqual(['kv-maas/maas/site-a']);
    }
  });

  it('finds nothing in a text without KV data paths', () => {
    expect(grantedSecretPaths('path "auth/token/lookup-self" { capabilities = ["read"] }')).toEqual([]);
    expect(grantedSecretPaths(undefined)).toEqual([]);
  });
});
