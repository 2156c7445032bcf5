
# The CI issuer's policy and role (issuer.enabled), each pinned like the MAAS ones.
path "sys/policies/acl/{{issuerPolicy}}" {
  capabilities = ["create", "read", "update", "delete"]
  allowed_parameters = {
    "policy" = [{{issuerPolicyText}}]
  }
}
path "auth/approle/role/{{issuerRole}}" {
  capabilities = ["create", "read", "update", "delete"]
  allowed_parameters = {
{{roleParameters}}    "token_policies"          = [["{{issuerPolicy}}"]]
  }
}
path "auth/approle/role/{{issuerRole}}/*" {
  capabilities = ["create", "read", "update", "delete", "list"]
  allowed_parameters = {
{{roleParameters}}    "token_policies"          = [["{{issuerPolicy}}"]]
  }
}
