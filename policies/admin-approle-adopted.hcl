
# approle auth method at approle/, adopted (approle.adopt): read only, so this site's admin can
# neither disable nor tune the method other sites' region controllers log in with.
path "sys/auth" {
  capabilities = ["read"]
}
path "sys/mounts/auth/approle" {
  capabilities = ["read"]
}
