path "sys/mounts/{{mount}}" {
  capabilities = ["create", "read", "update", "delete"]
}
path "sys/mounts/{{mount}}/tune" {
  capabilities = ["read", "update"]
}
