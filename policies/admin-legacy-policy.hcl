path "sys/policies/acl/{{policy}}" {
  capabilities = ["create", "read", "update", "delete"]
  allowed_parameters = {
    "policy" = [{{policyText}}]
  }
}
