/**
 * The only module that imports @cdktf/provider-vault. The prebuilt bindings were archived with
 * cdktf (provider frozen at 5.6.0), so moving to CDK Terrain or locally generated bindings is a
 * change to this file alone. Deep imports load 10 resource classes instead of the whole provider.
 */
export { VaultProvider } from '@cdktf/provider-vault/lib/provider/index.js';
export { AuthBackend } from '@cdktf/provider-vault/lib/auth-backend/index.js';
export { DataVaultAuthBackend } from '@cdktf/provider-vault/lib/data-vault-auth-backend/index.js';
export { Mount } from '@cdktf/provider-vault/lib/mount/index.js';
export { KvSecretBackendV2 } from '@cdktf/provider-vault/lib/kv-secret-backend-v2/index.js';
export { GenericEndpoint } from '@cdktf/provider-vault/lib/generic-endpoint/index.js';
export { Policy } from '@cdktf/provider-vault/lib/policy/index.js';
export { ApproleAuthBackendRole } from '@cdktf/provider-vault/lib/approle-auth-backend-role/index.js';
export { ApproleAuthBackendRoleSecretId } from '@cdktf/provider-vault/lib/approle-auth-backend-role-secret-id/index.js';
export { VAULT_PROVIDER_VERSION } from './vault-provider-version.js';
