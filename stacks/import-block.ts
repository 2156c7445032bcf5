import { TerraformElement, type Construct, type TerraformResource } from './framework.js';

/**
 * An `import` block (Terraform >= 1.5, OpenTofu >= 1.5) for an object that exists already. Written
 * here rather than with cdktf's `importFrom`, which runs `terraform version` at synth time and so
 * fails where the engine is OpenTofu alone.
 */
export class ImportBlock extends TerraformElement {
  constructor(
    scope: Construct,
    id: string,
    private readonly target: TerraformResource,
    private readonly importId: string,
  ) {
    super(scope, id);
  }

  override toTerraform(): Record<string, unknown> {
    return { import: [{ to: `${this.target.terraformResourceType}.${this.target.friendlyUniqueId}`, id: this.importId }] };
  }
}
