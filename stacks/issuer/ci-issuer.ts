import { Construct } from 'constructs';
import { issuerPolicyName, issuerRoleName, roleName, seconds, type MaasVaultConfig } from '../../config/index.js';
import { TTL_LIMITS } from '../../config/rules.js';
import { formatDuration } from '../../config/duration.js';
import { renderIssuerPolicy } from '../../policies/render.js';
import { stableId } from '../logical-id.js';
import { ApproleAuthBackendRole, Policy } from '../vault-provider.js';

export interface CiIssuerProps {
  config: MaasVaultConfig;
  backend: string;
}

/**
 * An opt-in AppRole for CI pipelines that hand out fresh credentials: its policy lets it mint
 * response-wrapped secret IDs for this site's region controllers and nothing else.
 */
export class CiIssuer extends Construct {
  readonly roleId: string;

  constructor(scope: Construct, id: string, props: CiIssuerProps) {
    super(scope, id);
    const { config } = props;
    const policy = stableId(this, 'policy', new Policy(this, 'policy', {
      name: issuerPolicyName(config),
      policy: renderIssuerPolicy({
        site: config.site,
        roles: config.controllers.map((controller) => roleName(config, controller.name)),
        maxWrapTtl: formatDuration(TTL_LIMITS.wrap.max),
      }),
    }));
    const role = stableId(this, 'role', new ApproleAuthBackendRole(this, 'role', {
      backend: props.backend,
      roleName: issuerRoleName(config),
      tokenPolicies: [policy.name],
      tokenTtl: seconds(config.issuer.tokenTtl),
      tokenMaxTtl: seconds(config.issuer.tokenTtl),
      bindSecretId: true,
      ...(config.issuer.cidrs ? { tokenBoundCidrs: config.issuer.cidrs, secretIdBoundCidrs: config.issuer.cidrs } : {}),
    }));
    this.roleId = role.roleId;
  }
}
