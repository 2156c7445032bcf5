import { seconds, type MaasVaultConfig } from '../../config/index.js';
import { issuerPolicyFor } from '../../policies/render.js';
import { stableId } from '../logical-id.js';
import { ApproleAuthBackendRole, Construct, Policy } from '../framework.js';

export interface CiIssuerProps {
  config: MaasVaultConfig;
  backend: string;
  roleName: string;
  policyName: string;
  /** The controller roles it may mint secret IDs for (revoked controllers are left out). */
  roles: readonly string[];
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
    const { config } = props;
    const policy = stableId(this, 'policy', new Policy(this, 'policy', {
      name: props.policyName,
      policy: issuerPolicyFor(config, props.roles),
    }));
    const role = stableId(this, 'role', new ApproleAuthBackendRole(this, 'role', {
      backend: props.backend,
      roleName: props.roleName,
      tokenPolicies: [policy.name],
      tokenTtl: seconds(config.issuer.tokenTtl),
      tokenMaxTtl: seconds(config.issuer.tokenTtl),
      bindSecretId: true,
      ...(config.issuer.cidrs ? { tokenBoundCidrs: config.issuer.cidrs, secretIdBoundCidrs: config.issuer.cidrs } : {}),
    }));
    this.roleId = role.roleId;
    this.roleName = props.roleName;
  }
}
