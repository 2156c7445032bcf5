
# Role "{{role}}", adopted from a set-up made by hand (its name is outside the site's prefix).
path "auth/approle/role/{{role}}" {
  capabilities = ["create", "read", "update", "delete"]
}
path "auth/approle/role/{{role}}/*" {
  capabilities = ["create", "read", "update", "delete", "list"]
}
