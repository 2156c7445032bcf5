import type { DesiredRole } from '../../site/site.js';
import { stableId } from '../logical-id.js';
import { ApproleAuthBackendRoleSecretId, Construct } from '../framework.js';
import { ImportBlock } from '../import-block.js';
import { siteRole } from '../auth/site-role.js';

export interface RegionControllerProps {
  /** The approle mount path (a reference, so the role waits for the mount). */
  backend: string;
  /** The controller's role as the desired site describes it (site/site.ts), with its secret ID. */
  role: DesiredRole;
  /** The MAAS policy resource's name (a reference, so the role waits for the policy). */
  policyName: string;
  /** The role exists already (set up by hand): import it from this ID, keeping its role ID. */
  importId?: string;
}

/**
 * One MAAS region controller: its AppRole role and, when the site issues one, one
 * response-wrapped secret ID (without it the role gets its secret IDs from `maas-vault credentials`
 * only). The role's settings and why MAAS needs them: site/role-settings.ts.
 */
export class RegionController extends Construct {
  readonly roleId: string;
  readonly roleName: string;
  readonly wrappingToken?: string;
  /** Accessor of the wrapped secret ID: safe to log, and enough to revoke it. */
  readonly secretIdAccessor?: string;

  constructor(scope: Construct, id: string, props: RegionControllerProps) {
    super(scope, id);
    const role = siteRole(this, props.backend, props.role, props.policyName);
    if (props.importId !== undefined) new ImportBlock(this, 'role_import', role, props.importId);
    this.roleId = role.roleId;
    this.roleName = role.roleName;
    const issued = props.role.secretId;
    if (issued === undefined) return;
    const secretId = stableId(
      this,
      'secret_id',
      new ApproleAuthBackendRoleSecretId(this, 'secret-id', {
        backend: props.backend,
        roleName: role.roleName,
        wrappingTtl: issued.wrapTtl,
        // Keyed by the secret ID's own accessor, the resource outlives the unwrap MAAS does, so a
        // re-apply after `configure` changes nothing instead of issuing a new secret ID.
        withWrappedAccessor: true,
        metadata: JSON.stringify(issued.metadata),
      }),
    );
    this.wrappingToken = secretId.wrappingToken;
    this.secretIdAccessor = secretId.wrappingAccessor;
  }
}
