path "sys/policies/acl/{{issuerPolicy}}" {
  capabilities = ["read", "delete"]
}
path "auth/approle/role/{{issuerRole}}" {
  capabilities = ["read", "delete"]
}
path "auth/approle/role/{{issuerRole}}/role-id" {
  capabilities = ["read"]
}
