
# MAAS checks its token with auth/token/lookup-self; Vault's "default" policy grants this too,
# so this block matters only where roles drop the default policy.
path "auth/token/lookup-self" {
  capabilities = ["read"]
}
