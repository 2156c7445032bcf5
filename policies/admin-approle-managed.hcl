
# approle auth method at approle/ (sudo: enabling and disabling auth methods is a root-protected
# path). This site created it; sites that share it set approle.adopt and get read access only.
path "sys/auth" {
  capabilities = ["read"]
}
path "sys/auth/approle" {
  capabilities = ["create", "read", "update", "delete", "sudo"]
}
path "sys/auth/approle/tune" {
  capabilities = ["read", "update"]
}
path "sys/mounts/auth/approle" {
  capabilities = ["read"]
}
path "sys/mounts/auth/approle/tune" {
  capabilities = ["read", "update"]
}
