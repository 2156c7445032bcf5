import { TerraformOutput, type TerraformStack } from 'cdktf';

/** The outputs the stack publishes; the CLI reads them back by these names. */
export const OUTPUTS = {
  roleIds: 'role_ids',
  roleNames: 'role_names',
  secretIdAccessors: 'secret_id_accessors',
  wrappingTokens: 'wrapping_tokens',
  configureCommands: 'configure_commands',
  migrateCommand: 'migrate_command',
  issuerRoleId: 'issuer_role_id',
} as const;

export type OutputName = (typeof OUTPUTS)[keyof typeof OUTPUTS];

interface OutputOptions {
  description: string;
  /** Wrapping tokens and anything holding one: the engine prints them only on request. */
  sensitive?: boolean;
}

/** Declares one stack output under a fixed name (outputs at the stack's top level keep their ids). */
export function publish(stack: TerraformStack, name: OutputName, value: unknown, options: OutputOptions): TerraformOutput {
  return new TerraformOutput(stack, name, { value, description: options.description, sensitive: options.sensitive ?? false });
}
