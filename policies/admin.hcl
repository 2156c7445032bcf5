# Applying the maas-vault stack of site "{{site}}" (and running plan, status, verify, credentials,
# revoke, destroy): the least a Vault admin token needs. Render it with `maas-vault policy admin`.
# It cannot escalate: the only policies it can write are this site's, with exactly the text
# maas-vault renders (allowed_parameters pins it), and the only roles it can write carry exactly
# those policies, Vault's default policy, and service tokens without a period. Re-render and
# re-write it after changing kv.mount, secretsPath, policy.*, keepLegacyNames, or (with
# issuer.enabled) the controllers or their revoked marks: until then apply is refused those writes.

# The provider works with a short-lived child token of the one it is given: no period, no batch
# token, no orphan, no other policies (a child can never hold more than its parent anyway). These
# are the fields terraform-provider-vault's client sends; empty type and entity_alias mean none.
path "auth/token/create" {
  capabilities = ["update"]
  allowed_parameters = {
    "display_name"     = []
    "ttl"              = []
    "explicit_max_ttl" = []
    "renewable"        = [false]
    "num_uses"         = []
    "type"             = ["", "service"]
    "entity_alias"     = [""]
  }
}
{{approle}}
# `status` on an HA cluster, read only: the nodes (API and cluster addresses, versions) and the
# server's sanitized configuration (no secrets: Vault strips them), which says whether standbys
# answer reads themselves and so can fail MAAS's configure. Neither needs sudo.
path "sys/ha-status" {
  capabilities = ["read"]
}
path "sys/config/state/sanitized" {
  capabilities = ["read"]
}

# The KV-v2 mount and its settings
path "sys/mounts" {
  capabilities = ["read"]
}
{{kv}}path "{{mount}}/config" {
  capabilities = ["create", "read", "update"]
}

# The MAAS policy, and only with the text maas-vault renders for this site.
path "sys/policies/acl/{{policy}}" {
  capabilities = ["create", "read", "update", "delete"]
  allowed_parameters = {
    "policy" = [{{policyText}}]
  }
}
{{issuerPolicy}}
# Which secrets paths other policies grant on this site's mount (plan, apply, destroy): two sites'
# paths must not nest, and destroy keeps what another site's path covers. Read only, and policy
# text holds paths and capabilities, never a secret; this site's own policy keeps its pinned
# stanza above (Vault applies the most specific path alone).
path "sys/policies/acl" {
  capabilities = ["list"]
}
path "sys/policies/acl/*" {
  capabilities = ["read"]
}
# The hand-off (apply, credentials), read only: whether a controller's role has logged in before
# (Vault keeps an identity entity per AppRole role ID from its first login: its configure line
# gets --yes), looked up by alias only, never by entity name or ID; and whether MAAS has migrated
# (`config-vault migrate` writes MAAS's global/ secrets under the secrets path): key names only,
# no secret is readable.
path "identity/lookup/entity" {
  capabilities = ["update"]
  allowed_parameters = {
    "alias_name"           = []
    "alias_mount_accessor" = []
  }
}
path "{{mount}}/metadata/{{secretsPath}}/global/" {
  capabilities = ["list"]
}

# This site's region controller roles: maas_{{site}}_<controller>. No other site's role can match
# the glob (site names cannot hold '_'). A role may carry only the MAAS policy (plus Vault's
# default, which stays), service tokens without a period, and must bind its secret IDs; secret-ID
# and accessor calls carry their own few parameters.
path "auth/approle/role" {
  capabilities = ["list"]
}
# Every role's settings, read only, so that destroy and apply can tell whether a role of another
# site still names a policy they would delete (they refuse that without --delete-policy; a role
# they could not read would have to count as naming it). '+' is one segment: a role's settings
# (policies, TTLs, CIDRs), never its role ID or secret IDs, which are deeper paths. This site's
# own roles match the glob below, which Vault prefers (its wildcard comes later).
path "auth/approle/role/+" {
  capabilities = ["read"]
}
path "auth/approle/role/{{rolePrefix}}*" {
  capabilities = ["create", "read", "update", "delete", "list"]
  allowed_parameters = {
{{roleParameters}}    "token_policies"          = [["{{policy}}"]]
  }
}
