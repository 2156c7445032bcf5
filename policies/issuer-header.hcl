# CI issuer for MAAS site "{{site}}": mints response-wrapped secret IDs for the site's region
# controller roles, reads their role IDs, looks up and destroys their secret-ID accessors.
# Nothing else: no KV access, no role or policy changes. Roles are listed one by one rather than
# globbed, so controllers marked revoked are left out and a role added later needs this policy
# re-applied before the issuer can mint for it.
