import type { DesiredPolicy } from '../../site/site.js';
import { stableId } from '../logical-id.js';
import { Construct, Policy } from '../framework.js';
import { ImportBlock } from '../import-block.js';

export interface MaasPolicyProps {
  /** The MAAS policy as the desired site describes it, its text rendered from the KV mount and path. */
  policy: DesiredPolicy;
  /** The policy exists already (set up by hand): import it from this ID, then manage its text. */
  importId?: string;
}

/** The policy every MAAS region controller's token carries. */
export class MaasPolicy extends Construct {
  readonly name: string;

  constructor(scope: Construct, id: string, props: MaasPolicyProps) {
    super(scope, id);
    const policy = stableId(this, 'maas', new Policy(this, 'policy', { name: props.policy.name, policy: props.policy.text }));
    if (props.importId !== undefined) new ImportBlock(this, 'import', policy, props.importId);
    this.name = policy.name;
  }
}
