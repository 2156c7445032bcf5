import { Construct } from 'constructs';
import { stableId } from '../logical-id.js';
import { KvSecretBackendV2, Mount } from '../vault-provider.js';
import { KV_MOUNT_DESCRIPTION } from '../managed-settings.js';

export interface KvMountProps {
  path: string;
  /**
   * Use a KV-v2 mount that already exists (a dev server's `secret/`, a shared mount). Its
   * settings are still managed, since MAAS needs `cas_required=false`, but the mount and its data
   * survive `destroy`: the provider's delete of these settings is a no-op.
   */
  adopt: boolean;
  maxVersions?: number;
}

/** The KV-v2 secrets engine MAAS stores its secrets in. */
export class KvMount extends Construct {
  readonly path: string;

  constructor(scope: Construct, id: string, props: KvMountProps) {
    super(scope, id);
    let path = props.path;
    if (!props.adopt) {
      const mount = stableId(this, 'mount', new Mount(this, 'mount', {
        path: props.path,
        type: 'kv',
        options: { version: '2' },
        description: KV_MOUNT_DESCRIPTION,
      }));
      path = mount.path;
    }
    // MAAS writes without check-and-set, so a mount that requires it would refuse every write.
    stableId(this, 'settings', new KvSecretBackendV2(this, 'settings', {
      mount: path,
      casRequired: false,
      ...(props.maxVersions === undefined ? {} : { maxVersions: props.maxVersions }),
    }));
    this.path = path;
  }
}
