/**
 * The only module that imports the CDK framework: cdktf, constructs and the prebuilt vault
 * bindings. cdktf was archived (its bindings frozen at provider 5.6.0), so a move to its fork CDK
 * Terrain (`cdktn`) or to locally generated bindings is this file, FRAMEWORK_PACKAGES and
 * package.json (see the README's "Moving to CDK Terrain"). Only stacks/ imports it, and only
 * modules that synth loads, so no other command pays for loading the framework.
 * Deep imports of the bindings load 9 resource classes instead of the whole provider.
 */
export { Construct } from 'constructs';
export { App, LocalBackend, PgBackend, TerraformElement, TerraformOutput, TerraformStack, TerraformVariable, Testing } from 'cdktf';
export type { PgBackendConfig, TerraformResource } from 'cdktf';
export { VaultProvider } from '@cdktf/provider-vault/lib/provider/index.js';
export { AuthBackend } from '@cdktf/provider-vault/lib/auth-backend/index.js';
export { DataVaultAuthBackend } from '@cdktf/provider-vault/lib/data-vault-auth-backend/index.js';
export { Mount } from '@cdktf/provider-vault/lib/mount/index.js';
export { KvSecretBackendV2 } from '@cdktf/provider-vault/lib/kv-secret-backend-v2/index.js';
export { GenericEndpoint } from '@cdktf/provider-vault/lib/generic-endpoint/index.js';
export { Policy } from '@cdktf/provider-vault/lib/policy/index.js';
export { ApproleAuthBackendRole, type ApproleAuthBackendRoleConfig } from '@cdktf/provider-vault/lib/approle-auth-backend-role/index.js';
export { ApproleAuthBackendRoleSecretId } from '@cdktf/provider-vault/lib/approle-auth-backend-role-secret-id/index.js';
export { VAULT_PROVIDER_VERSION } from './vault-provider-version.js';
