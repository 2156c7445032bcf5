import { stableId } from '../logical-id.js';
import { Construct, GenericEndpoint, KvSecretBackendV2, Mount } from '../framework.js';
import type { DesiredKv } from '../../site/site.js';
import { RemovedBlock } from '../removed-block.js';

/**
 * With `adopt`, a KV-v2 mount that already exists (a dev server's `secret/`, a shared mount): the
 * mount, its data and its settings survive `destroy`; pre-flight checks refuse a mount that is
 * missing or not KV version 2 before anything is written.
 */
export type KvMountProps = DesiredKv;

/** The KV-v2 secrets engine MAAS stores its secrets in. */
export class KvMount extends Construct {
  readonly path: string;

  constructor(scope: Construct, id: string, props: KvMountProps) {
    super(scope, id);
    const settings = props.settings;
    if (props.adopt) {
      // Other applications share an adopted mount. vault_kv_secret_backend_v2 (provider 5.6.0)
      // writes max_versions, cas_required and delete_version_after on every apply, resetting
      // what it was not given to 0: write only the settings MAAS needs or the config names (KV
      // keeps the others), compare only those, and never "delete" them.
      stableId(
        this,
        'shared_settings',
        new GenericEndpoint(this, 'shared-settings', {
          path: `${props.mount}/config`,
          dataJson: JSON.stringify(settings),
          ignoreAbsentFields: true,
          disableDelete: true,
        }),
      );
      // A mount this site created before kv.adopt was set: forgotten, never unmounted.
      new RemovedBlock(this, 'forget_mount', `vault_mount.${id}_mount`);
      new RemovedBlock(this, 'forget_settings', `vault_kv_secret_backend_v2.${id}_settings`);
      this.path = props.mount;
      return;
    }
    const mount = stableId(
      this,
      'mount',
      new Mount(this, 'mount', {
        path: props.mount,
        type: 'kv',
        options: props.options,
        description: props.description,
      }),
    );
    // This site's own mount: its settings are the stack's to manage.
    stableId(
      this,
      'settings',
      new KvSecretBackendV2(this, 'settings', {
        mount: mount.path,
        casRequired: settings.cas_required,
        ...(settings.max_versions === undefined ? {} : { maxVersions: settings.max_versions }),
      }),
    );
    this.path = mount.path;
  }
}
