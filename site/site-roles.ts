/**
 * Which AppRole roles belong to a site, judged by name alone. Names come from config/naming.ts:
 * its '_' separator makes `maas_<site>_` a prefix no other site's role can share (a site `dc1`
 * never claims site `dc1-b`'s roles), and the issuer's name cannot be a controller's.
 */
import { issuerRoleName, type MaasVaultConfig } from '../config/index.js';
import { siteRolePrefix } from '../config/naming.js';
import { controllerNameProblem } from '../config/rules.js';

/** 'ambiguous' is kept for callers that settle a shared name by the role's policies; the '_' names never are. */
export type RoleClaim = 'ours' | 'ambiguous' | 'not-ours';

export function claimRole(config: Pick<MaasVaultConfig, 'site'>, role: string): RoleClaim {
  if (issuerRoleName(config) === role) return 'ours';
  const prefix = siteRolePrefix(config);
  return role.startsWith(prefix) && controllerNameProblem(role.slice(prefix.length)) === undefined ? 'ours' : 'not-ours';
}
