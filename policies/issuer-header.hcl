# CI issuer for MAAS site "{{site}}": mints response-wrapped secret IDs for the site's region
# controller roles, reads their role IDs, looks up and destroys their secret-ID accessors.
# Nothing else: no KV access, no role or policy changes. Roles are listed one by one, because a
# glob such as maas-{{site}}-* would also match the issuer's own role and other sites' roles.
