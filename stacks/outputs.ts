import { TerraformOutput, type TerraformStack } from './framework.js';
import type { OutputName } from './output-names.js';

export { OUTPUTS, type OutputName } from './output-names.js';

interface OutputOptions {
  description: string;
  /** Wrapping tokens and anything holding one: the engine prints them only on request. */
  sensitive?: boolean;
}

/** Declares one stack output under a fixed name (outputs at the stack's top level keep their ids). */
export function publish(stack: TerraformStack, name: OutputName, value: unknown, options: OutputOptions): TerraformOutput {
  return new TerraformOutput(stack, name, { value, description: options.description, sensitive: options.sensitive ?? false });
}
