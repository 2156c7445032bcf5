import { stableId } from '../logical-id.js';
import { AuthBackend, Construct, DataVaultAuthBackend } from '../framework.js';
import type { DesiredApprole } from '../../site/site.js';
import { RemovedBlock } from '../removed-block.js';

/**
 * With `adopt`, an approle mount that already exists: read (so plan fails if it is missing), never
 * managed, since destroying the stack must not take other users' roles with it.
 */
export type ApproleMountProps = DesiredApprole;

/** The AppRole auth method MAAS logs in with. */
export class ApproleMount extends Construct {
  /** Mount path for role resources; a reference, so roles are created after the mount. */
  readonly path: string;

  constructor(scope: Construct, id: string, props: ApproleMountProps) {
    super(scope, id);
    if (props.adopt) {
      const existing = stableId(this, 'existing', new DataVaultAuthBackend(this, 'existing', { path: props.mount }));
      // An auth method this site enabled before approle.adopt was set: forgotten, never disabled.
      new RemovedBlock(this, 'forget_mount', `vault_auth_backend.${id}_mount`);
      this.path = existing.path;
    } else {
      const mount = stableId(
        this,
        'mount',
        new AuthBackend(this, 'mount', {
          type: 'approle',
          path: props.mount,
          description: props.description,
        }),
      );
      this.path = mount.path;
    }
  }
}
