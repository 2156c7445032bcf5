# Applying the maas-vault stack of site "{{site}}" (and running status, verify, credentials,
# revoke): the least a Vault admin token needs. Render it with `maas-vault policy admin`.

# The provider works with a short-lived child token of the one it is given.
path "auth/token/create" {
  capabilities = ["update"]
}

# approle auth method at approle/ (sudo: enabling and disabling auth methods is a root-protected path)
path "sys/auth" {
  capabilities = ["read"]
}
path "sys/auth/approle" {
  capabilities = ["create", "read", "update", "delete", "sudo"]
}
path "sys/auth/approle/tune" {
  capabilities = ["read", "update"]
}
path "sys/mounts/auth/approle" {
  capabilities = ["read"]
}
path "sys/mounts/auth/approle/tune" {
  capabilities = ["read", "update"]
}

# The KV-v2 mount and its settings
path "sys/mounts" {
  capabilities = ["read"]
}
path "sys/mounts/{{mount}}" {
  capabilities = ["create", "read", "update", "delete"]
}
path "sys/mounts/{{mount}}/tune" {
  capabilities = ["read", "update"]
}
path "{{mount}}/config" {
  capabilities = ["create", "read", "update"]
}

# The MAAS policy (and the CI issuer's, when enabled)
path "sys/policies/acl/{{policy}}" {
  capabilities = ["create", "read", "update", "delete"]
}
path "sys/policies/acl/{{issuerPolicy}}" {
  capabilities = ["create", "read", "update", "delete"]
}

# This site's AppRole roles, their role IDs, secret IDs and accessors. The glob lets the admin add
# controllers without a new policy; it also matches a site named "{{site}}-<anything>", so keep
# site names from being prefixes of one another where different admins run them.
path "auth/approle/role" {
  capabilities = ["list"]
}
path "auth/approle/role/{{rolePrefix}}*" {
  capabilities = ["create", "read", "update", "delete", "list"]
}
