# The same Vault set-up as the maas-vault stack, written by hand in HCL: the benchmark's
# "plain Terraform" baseline, applied by the same engine with the same parallelism.
terraform {
  required_providers {
    vault = {
      source  = "hashicorp/vault"
      version = "5.6.0"
    }
  }
}

variable "vault_address" {
  type = string
}

variable "controllers" {
  type = list(string)
}

provider "vault" {
  address = var.vault_address
}

resource "vault_auth_backend" "approle" {
  type = "approle"
  path = "approle"
}

resource "vault_mount" "kv" {
  path    = "kv-maas"
  type    = "kv"
  options = { version = "2" }
}

resource "vault_kv_secret_backend_v2" "kv" {
  mount        = vault_mount.kv.path
  cas_required = false
}

resource "vault_policy" "maas" {
  name   = "maas-bench"
  policy = <<-EOT
    path "kv-maas/metadata/maas/" {
      capabilities = ["list"]
    }
    path "kv-maas/metadata/maas/*" {
      capabilities = ["read", "update", "delete", "list"]
    }
    path "kv-maas/data/maas/*" {
      capabilities = ["read", "create", "update", "delete"]
    }
  EOT
}

resource "vault_approle_auth_backend_role" "controller" {
  for_each           = toset(var.controllers)
  backend            = vault_auth_backend.approle.path
  role_name          = "maas-bench-${each.key}"
  token_policies     = [vault_policy.maas.name]
  token_ttl          = 300
  token_num_uses     = 0
  secret_id_num_uses = 0
}

resource "vault_approle_auth_backend_role_secret_id" "controller" {
  for_each              = toset(var.controllers)
  backend               = vault_auth_backend.approle.path
  role_name             = vault_approle_auth_backend_role.controller[each.key].role_name
  wrapping_ttl          = "5m"
  with_wrapped_accessor = true
}

output "role_ids" {
  value = { for name, role in vault_approle_auth_backend_role.controller : name => role.role_id }
}

output "wrapping_tokens" {
  value     = { for name, secret in vault_approle_auth_backend_role_secret_id.controller : name => secret.wrapping_token }
  sensitive = true
}
