/** The variable the engine gets a cluster's active node through (TF_VAR_…); free of cdktf, for the engine to import. */
export const PROVIDER_ADDRESS_VARIABLE = 'vault_address';
