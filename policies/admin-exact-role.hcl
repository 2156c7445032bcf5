path "auth/approle/role/{{role}}" {
  capabilities = ["create", "read", "update", "delete"]
  allowed_parameters = {
{{roleParameters}}    "token_policies"          = [["{{policy}}"]]
  }
}
path "auth/approle/role/{{role}}/*" {
  capabilities = ["create", "read", "update", "delete", "list"]
  allowed_parameters = {
{{roleParameters}}    "token_policies"          = [["{{policy}}"]]
  }
}
