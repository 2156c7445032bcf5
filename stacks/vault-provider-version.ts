/**
 * The provider release @cdktf/provider-vault 15.6.1 was generated for. Kept apart from
 * framework.ts so the toolchain can read it without loading the bindings.
 */
export const VAULT_PROVIDER_VERSION = '5.6.0';
