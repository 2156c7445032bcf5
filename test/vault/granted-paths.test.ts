/** Which keys another policy's grant covers, and when two secrets paths overlap: at a path-segment boundary only. */
import { covers, dataPrefixes, grantsOn, overlaps } from '../../vault/granted-paths.js';
import { renderMaasPolicy } from '../../policies/render.js';

it('reads the MOUNT/data/ grants of the MAAS policies maas-vault renders (both profiles), and nothing of other mounts', () => {
  for (const profile of ['strict', 'documented'] as const) {
    const policy = renderMaasPolicy({ mount: 'kv-sh', path: 'maas/dc2', profile, lookupSelf: true });
    expect(dataPrefixes(policy, 'kv-sh')).toEqual(['maas/dc2/']);
    expect(dataPrefixes(policy, 'kv')).toEqual([]);
  }
});

it('cuts a grant at its first glob, keeps an exact path whole, skips comments, and reads JSON policies', () => {
  const hcl = [
    '# path "kv/data/commented/*" {}',
    'path "kv/data/app*" { capabilities = ["read"] }',
    'path "kv/data/maas/+/controller/*" { capabilities = ["read"] }',
    'path "kv/data/one/key" { capabilities = ["read"] }',
    'path "kv/data/*" { capabilities = ["read"] }',
    'path "kv/metadata/meta/*" { capabilities = ["list"] }',
  ].join('\n');
  expect(dataPrefixes(hcl, 'kv')).toEqual(['', 'app', 'maas/', 'one/key']);
  expect(dataPrefixes(JSON.stringify({ path: { 'kv/data/json/*': { capabilities: ['read'] } } }), 'kv')).toEqual(['json/']);
});

it('overlaps: the same path, one nested in the other either way, or a grant on the whole mount; not a sibling sharing letters', () => {
  expect(overlaps('maas', 'maas/')).toBe(true);
  expect(overlaps('maas/dc2', 'maas/')).toBe(true);
  expect(overlaps('maas', 'maas/dc2/')).toBe(true);
  expect(overlaps('maas', '')).toBe(true);
  expect(overlaps('maas', 'ma')).toBe(true);
  expect(overlaps('maas', 'maas2/')).toBe(false);
  expect(overlaps('maas2', 'maas/')).toBe(false);
  expect(overlaps('maas', 'maas-dc2/')).toBe(false);
  expect(overlaps('maas/dc2', 'maas/dc3/')).toBe(false);
  expect(overlaps('/maas/', 'maas/')).toBe(true);
});

it('covers a key under the grant, not one beside it', () => {
  expect(covers('maas/dc2/', 'maas/dc2/controller/1/database-creds')).toBe(true);
  expect(covers('maas/dc2/', 'maas/controller/1/database-creds')).toBe(false);
  expect(covers('maas/dc2/', 'maas/dc20/controller/1/database-creds')).toBe(false);
});

it('grantsOn: the grants on one mount from policies read once, each named by its policy, nothing of other mounts', () => {
  const policies = [
    { name: 'maas_a', text: 'path "kv-a/data/maas-a/*" { capabilities = ["read"] }\npath "kv-b/data/shared/*" { capabilities = ["read"] }' },
    { name: 'maas_b', text: 'path "kv-b/data/maas-b/*" { capabilities = ["read"] }' },
    { name: 'empty', text: '' },
  ];
  expect(grantsOn(policies, 'kv-a')).toEqual([{ policy: 'maas_a', prefix: 'maas-a/' }]);
  expect(grantsOn(policies, 'kv-b')).toEqual([
    { policy: 'maas_a', prefix: 'shared/' },
    { policy: 'maas_b', prefix: 'maas-b/' },
  ]);
  expect(grantsOn(policies, 'kv-c')).toEqual([]);
  expect(grantsOn([], 'kv-a')).toEqual([]);
});
