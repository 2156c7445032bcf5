/** Whose a created mount is, from one listing: the one test both of destroy's listings keep a mount by. */
import { isSomeoneElses, whose } from '../../cli/commands/destroy-plan.js';
import type { Held } from '../../cli/commands/plan-guard.js';

const held = (own: string[], others: Record<string, number> = {}, partial = false): Held => {
  const total = own.length + Object.values(others).reduce((sum, count) => sum + count, 0);
  return { total, byTop: new Map(), partial, own, others: new Map(Object.entries(others)) };
};

it("only this site's keys and no other grant: not someone else's, every key is its own", () => {
  const holding = whose(held(['maas/controller/1/database-creds']), []);
  expect(isSomeoneElses(holding)).toBe(false);
  expect(holding.held.own).toEqual(['maas/controller/1/database-creds']);
  expect(holding.grantedBy).toEqual([]);
});

it("others' keys, or a listing that stopped before the end, make it someone else's", () => {
  expect(isSomeoneElses(whose(held([], { billing: 1 }), []))).toBe(true);
  expect(isSomeoneElses(whose(held(['maas/controller/1/database-creds'], {}, true), []))).toBe(true);
});

it("another site's grant makes it someone else's though that site stored nothing yet; a grant on the whole mount does not", () => {
  const granted = whose(held(['maas/controller/1/database-creds']), [{ policy: 'maas_tenant', prefix: 'maas-tenant/' }]);
  expect(isSomeoneElses(granted)).toBe(true);
  expect(granted.grantedBy).toEqual(['maas_tenant']);
  expect(granted.grants).toEqual([{ policy: 'maas_tenant', prefix: 'maas-tenant/' }]);
  expect(granted.held.own).toEqual(['maas/controller/1/database-creds']);

  const operator = whose(held(['maas/controller/1/database-creds']), [{ policy: 'backup', prefix: '' }]);
  expect(isSomeoneElses(operator)).toBe(false);
  expect(operator.grants).toEqual([]);
});

it("a key under this site's secretsPath that a nested site's grant covers counts as that site's, by the longest grant, never as own", () => {
  const keys = held(['maas/controller/1/database-creds', 'maas/dc2/controller/1/database-creds']);
  const holding = whose(keys, [
    { policy: 'maas_dc2', prefix: 'maas/dc2/' },
    { policy: 'maas_dc', prefix: 'maas/d' },
  ]);
  expect(holding.held.own).toEqual(['maas/controller/1/database-creds']);
  expect([...holding.held.others]).toEqual([['maas/dc2', 1]]);
  expect(holding.grantedBy).toEqual(['maas_dc', 'maas_dc2']);
  // The listing it was given is left as it was.
  expect(keys.own).toHaveLength(2);
  expect(keys.others.size).toBe(0);
});
