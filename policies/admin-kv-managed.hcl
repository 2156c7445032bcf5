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
# destroy --delete-secrets of a mount that others' data keeps: only this site's own secrets go.
# (Vault applies the most specific path alone: this one must keep the listing above.)
path "{{mount}}/metadata/{{secretsPath}}/*" {
  capabilities = ["list", "delete"]
}
