
# Role "{{role}}": issue secret IDs only response-wrapped (the TTL bounds make wrapping mandatory).
path "auth/approle/role/{{role}}/secret-id" {
  capabilities     = ["update"]
  min_wrapping_ttl = "1s"
  max_wrapping_ttl = "{{maxWrapTtl}}"
}

# List the role's secret-ID accessors (Vault adds the trailing '/' to every LIST path).
path "auth/approle/role/{{role}}/secret-id/" {
  capabilities = ["list"]
}

path "auth/approle/role/{{role}}/secret-id-accessor/lookup" {
  capabilities = ["update"]
}

path "auth/approle/role/{{role}}/secret-id-accessor/destroy" {
  capabilities = ["update"]
}

path "auth/approle/role/{{role}}/role-id" {
  capabilities = ["read"]
}
