import type { DesiredPolicy, DesiredRole } from '../../site/site.js';
import { stableId } from '../logical-id.js';
import { Construct, Policy } from '../framework.js';
import { siteRole } from '../auth/site-role.js';

export interface CiIssuerProps {
  backend: string;
  /** The issuer's role and policy as the desired site describes them (site/site.ts). */
  role: DesiredRole;
  policy: DesiredPolicy;
}

/**
 * An opt-in AppRole for CI pipelines that hand out fresh credentials: its policy lets it mint
 * response-wrapped secret IDs for this site's region controllers and nothing else. Whoever holds
 * its secret ID can therefore log in as any of those controllers (see README, Security).
 */
export class CiIssuer extends Construct {
  readonly roleId: string;
  readonly roleName: string;

  constructor(scope: Construct, id: string, props: CiIssuerProps) {
    super(scope, id);
    const policy = stableId(this, 'policy', new Policy(this, 'policy', { name: props.policy.name, policy: props.policy.text }));
    const role = siteRole(this, props.backend, props.role, policy.name);
    this.roleId = role.roleId;
    this.roleName = props.role.name;
  }
}
