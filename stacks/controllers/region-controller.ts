import { stableId } from '../logical-id.js';
import { ApproleAuthBackendRole, ApproleAuthBackendRoleSecretId, Construct } from '../framework.js';
import { ImportBlock } from '../import-block.js';

export interface RegionControllerProps {
  /** The approle mount path (a reference, so the role waits for the mount). */
  backend: string;
  roleName: string;
  policyName: string;
  tokenTtlSeconds: number;
  tokenMaxTtlSeconds?: number;
  secretIdTtlSeconds?: number;
  /**
   * Issue one wrapped secret ID with the role, with this wrapping TTL (`5m`); without it the role
   * gets its secret IDs from `maas-vault credentials` only.
   */
  wrapTtl?: string;
  cidrs?: string[];
  /** Secret-ID metadata; any change re-issues the secret ID (every field of it forces a new one). */
  metadata: Record<string, string>;
  /** The role exists already (set up by hand): import it from this ID, keeping its role ID. */
  importId?: string;
}

/**
 * One MAAS region controller: its AppRole role and one response-wrapped secret ID.
 *
 * MAAS stores the unwrapped secret_id and logs in with it again whenever its token nears expiry,
 * for as long as the region runs, so the secret ID must have unlimited uses and the tokens no use
 * limit (secret_id_num_uses = token_num_uses = 0).
 */
export class RegionController extends Construct {
  readonly roleId: string;
  readonly roleName: string;
  readonly wrappingToken?: string;
  /** Accessor of the wrapped secret ID: safe to log, and enough to revoke it. */
  readonly secretIdAccessor?: string;

  constructor(scope: Construct, id: string, props: RegionControllerProps) {
    super(scope, id);
    const role = stableId(this, 'role', new ApproleAuthBackendRole(this, 'role', {
      backend: props.backend,
      roleName: props.roleName,
      tokenPolicies: [props.policyName],
      // MAAS calls auth/token/lookup-self, which Vault's default policy grants.
      tokenNoDefaultPolicy: false,
      tokenTtl: props.tokenTtlSeconds,
      ...(props.tokenMaxTtlSeconds === undefined ? {} : { tokenMaxTtl: props.tokenMaxTtlSeconds }),
      tokenNumUses: 0,
      bindSecretId: true,
      secretIdNumUses: 0,
      secretIdTtl: props.secretIdTtlSeconds ?? 0,
      ...(props.cidrs ? { tokenBoundCidrs: props.cidrs, secretIdBoundCidrs: props.cidrs } : {}),
    }));
    if (props.importId !== undefined) new ImportBlock(this, 'role_import', role, props.importId);
    this.roleId = role.roleId;
    this.roleName = role.roleName;
    if (props.wrapTtl === undefined) return;
    const secretId = stableId(this, 'secret_id', new ApproleAuthBackendRoleSecretId(this, 'secret-id', {
      backend: props.backend,
      roleName: role.roleName,
      wrappingTtl: props.wrapTtl,
      // Keyed by the secret ID's own accessor, the resource outlives the unwrap MAAS does, so a
      // re-apply after `configure` changes nothing instead of issuing a new secret ID.
      withWrappedAccessor: true,
      metadata: JSON.stringify(props.metadata),
    }));
    this.wrappingToken = secretId.wrappingToken;
    this.secretIdAccessor = secretId.wrappingAccessor;
  }
}
