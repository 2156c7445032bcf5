/**
 * Which AppRole roles belong to a site, judged by name alone. Names come from config/naming.ts;
 * where a name could also be another site's (a site `dc1` and a site `dc1-b` whose role names
 * share a prefix), the name alone cannot tell, and the caller must look closer.
 */
import { issuerRoleName, roleName, type MaasVaultConfig } from '../config/index.js';
import { controllerNameProblem, siteNameProblem } from '../config/rules.js';

export type RoleClaim = 'ours' | 'ambiguous' | 'not-ours';

/** The part every site's role names share (e.g. `maas-`), found from the naming functions themselves. */
function sharedLead(): string {
  const one = roleName({ site: 'a' }, 'x');
  const two = roleName({ site: 'b' }, 'x');
  let index = 0;
  while (index < one.length && one[index] === two[index]) index++;
  return one.slice(0, index);
}

/** Whether `role` names a controller (or the issuer) of `site`. */
function isRoleOf(site: string, role: string): boolean {
  if (issuerRoleName({ site }) === role) return true;
  const prefix = roleName({ site }, '');
  return role.startsWith(prefix) && controllerNameProblem(role.slice(prefix.length)) === undefined;
}

export function claimRole(config: Pick<MaasVaultConfig, 'site'>, role: string): RoleClaim {
  if (!isRoleOf(config.site, role)) return 'not-ours';
  const lead = sharedLead();
  if (!role.startsWith(lead)) return 'ours';
  const rest = role.slice(lead.length);
  for (let end = 1; end < rest.length; end++) {
    const other = rest.slice(0, end);
    if (other !== config.site && siteNameProblem(other) === undefined && isRoleOf(other, role)) return 'ambiguous';
  }
  return 'ours';
}
