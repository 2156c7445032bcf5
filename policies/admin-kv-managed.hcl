path "sys/mounts/{{mount}}" {
  capabilities = ["create", "read", "update", "delete"]
}
path "sys/mounts/{{mount}}/tune" {
  capabilities = ["read", "update"]
}
# Before deleting this mount, destroy counts what it holds: key names only, never a value.
path "{{mount}}/metadata/*" {
  capabilities = ["list"]
}
