import { renderMaasPolicy, type MaasPolicyProfile } from '../../policies/render.js';
import { stableId } from '../logical-id.js';
import { Construct, Policy } from '../framework.js';
import { ImportBlock } from '../import-block.js';

export interface MaasPolicyProps {
  name: string;
  /** The KV mount path as plain text: it is pasted into the policy's HCL. */
  mount: string;
  secretsPath: string;
  profile: MaasPolicyProfile;
  lookupSelf: boolean;
  /** The policy exists already (set up by hand): import it from this ID, then manage its text. */
  importId?: string;
}

/** The policy every MAAS region controller's token carries. */
export class MaasPolicy extends Construct {
  readonly name: string;

  constructor(scope: Construct, id: string, props: MaasPolicyProps) {
    super(scope, id);
    const policy = stableId(this, 'maas', new Policy(this, 'policy', {
      name: props.name,
      policy: renderMaasPolicy({
        mount: props.mount,
        path: props.secretsPath,
        profile: props.profile,
        lookupSelf: props.lookupSelf,
      }),
    }));
    if (props.importId !== undefined) new ImportBlock(this, 'import', policy, props.importId);
    this.name = policy.name;
  }
}
