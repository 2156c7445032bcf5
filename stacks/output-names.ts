/**
 * The outputs the stack publishes; the CLI reads them back by these names. Kept apart from
 * outputs.ts so commands that only read state never load cdktf.
 */
export const OUTPUTS = {
  roleIds: 'role_ids',
  roleNames: 'role_names',
  secretIdAccessors: 'secret_id_accessors',
  wrappingTokens: 'wrapping_tokens',
  configureCommands: 'configure_commands',
  migrateCommand: 'migrate_command',
  issuerRoleId: 'issuer_role_id',
  issuerRoleName: 'issuer_role_name',
} as const;

export type OutputName = (typeof OUTPUTS)[keyof typeof OUTPUTS];
