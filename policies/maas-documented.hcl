# MAAS region controllers: the minimal policy of the MAAS documentation ("How to enable Vault"),
# for KV-v2 mount "{{mount}}" and secrets path "{{path}}".
path "{{mount}}/metadata/{{path}}/" {
  capabilities = ["list"]
}

path "{{mount}}/metadata/{{path}}/*" {
  capabilities = ["read", "update", "delete", "list"]
}

path "{{mount}}/data/{{path}}/*" {
  capabilities = ["read", "create", "update", "delete"]
}
