
# Role "{{role}}" of controller {{controller}}, adopted from a set-up made by hand: its name is
# outside maas_{{site}}_*, so it is granted by exact path, pinned like the site's own roles.
