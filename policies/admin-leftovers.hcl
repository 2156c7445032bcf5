
# What an earlier config of this site may have created and its state still holds. Apply deletes
# what the config stops naming (issuer.enabled turned off, policy.name changed), refreshing it
# first, and it runs with the policy rendered for the new config: without these, the engine stops
# halfway on "permission denied". Read and delete only, so nothing can be written here, and only
# this site's own names: maas-issuer_{{site}} and maas_{{site}}_* are no other site's (site names
# cannot hold '_'). A controller removed from `controllers` needs nothing here: its role is under
# the site's role glob (maas_{{site}}_*) above.
{{leftovers}}path "sys/policies/acl/{{policyBase}}_*" {
  capabilities = ["read", "delete"]
}
