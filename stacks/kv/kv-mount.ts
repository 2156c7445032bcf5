import { stableId } from '../logical-id.js';
import { Construct, GenericEndpoint, KvSecretBackendV2, Mount } from '../framework.js';
import { KV_MOUNT_DESCRIPTION } from '../managed-settings.js';
import { RemovedBlock } from '../removed-block.js';

export interface KvMountProps {
  path: string;
  /**
   * Use a KV-v2 mount that already exists (a dev server's `secret/`, a shared mount). The mount,
   * its data and its settings survive `destroy`; pre-flight checks refuse a mount that is missing
   * or not KV version 2 before anything is written.
   */
  adopt: boolean;
  maxVersions?: number;
}

/** The KV-v2 secrets engine MAAS stores its secrets in. */
export class KvMount extends Construct {
  readonly path: string;

  constructor(scope: Construct, id: string, props: KvMountProps) {
    super(scope, id);
    // MAAS writes without check-and-set, so a mount that requires it would refuse every write.
    const settings: Record<string, unknown> = { cas_required: false };
    if (props.maxVersions !== undefined) settings.max_versions = props.maxVersions;
    if (props.adopt) {
      // Other applications share an adopted mount. vault_kv_secret_backend_v2 (provider 5.6.0)
      // writes max_versions, cas_required and delete_version_after on every apply, resetting
      // what it was not given to 0: write only the settings MAAS needs or the config names (KV
      // keeps the others), compare only those, and never "delete" them.
      stableId(this, 'shared_settings', new GenericEndpoint(this, 'shared-settings', {
        path: `${props.path}/config`,
        dataJson: JSON.stringify(settings),
        ignoreAbsentFields: true,
        disableDelete: true,
      }));
      // A mount this site created before kv.adopt was set: forgotten, never unmounted.
      new RemovedBlock(this, 'forget_mount', `vault_mount.${id}_mount`);
      new RemovedBlock(this, 'forget_settings', `vault_kv_secret_backend_v2.${id}_settings`);
      this.path = props.path;
      return;
    }
    const mount = stableId(this, 'mount', new Mount(this, 'mount', {
      path: props.path,
      type: 'kv',
      options: { version: '2' },
      description: KV_MOUNT_DESCRIPTION,
    }));
    // This site's own mount: its settings are the stack's to manage.
    stableId(this, 'settings', new KvSecretBackendV2(this, 'settings', {
      mount: mount.path,
      casRequired: false,
      ...(props.maxVersions === undefined ? {} : { maxVersions: props.maxVersions }),
    }));
    this.path = mount.path;
  }
}
