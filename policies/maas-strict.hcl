# MAAS region controllers: only the calls MAAS's Vault client makes (set, get, delete),
# for KV-v2 mount "{{mount}}" and secrets path "{{path}}".
path "{{mount}}/data/{{path}}/*" {
  capabilities = ["create", "read", "update"]
}

path "{{mount}}/metadata/{{path}}/*" {
  capabilities = ["delete"]
}
