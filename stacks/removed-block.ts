import { TerraformElement, type Construct } from './framework.js';

/**
 * A `removed` block with `lifecycle { destroy = false }` (Terraform >= 1.7, OpenTofu >= 1.10): the
 * engine drops the object from the state and leaves it in Vault. Declared where an adopt flag now
 * says an object this site may have created is not its own: without it the engine would delete
 * the object (and with a KV mount, every secret in it). A block for an address the state does
 * not hold is a no-op.
 */
export class RemovedBlock extends TerraformElement {
  constructor(
    scope: Construct,
    id: string,
    private readonly address: string,
  ) {
    super(scope, id);
  }

  override toTerraform(): Record<string, unknown> {
    return { removed: [{ from: this.address, lifecycle: { destroy: false } }] };
  }
}
