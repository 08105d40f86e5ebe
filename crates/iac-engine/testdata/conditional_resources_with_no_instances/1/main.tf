variable "on" {
  type    = bool
  default = false
}

locals {
  create = var.on
  zones  = var.on ? ["a", "b"] : []
}

resource "test_thing" "role" {
  count = local.create ? 1 : 0
  name  = "role"
}

# The same condition: with no instances, its body is never evaluated, so the
# index into the other resource's empty list (and into an empty local) is no error.
resource "test_thing" "attachment" {
  count = local.create ? 1 : 0
  name  = "${test_thing.role[0].name}-attachment-${local.zones[0]}"
}

resource "test_thing" "by_zone" {
  for_each = toset(local.zones)
  name     = "${test_thing.role[0].name}-${each.key}"
}

# A type iac lacks: with no instances (and none in state) it asks nothing of it.
resource "test_unbuilt" "acl" {
  count = local.create ? 1 : 0
  name  = test_thing.role[0].name
}

output "acl_ids" {
  value = test_unbuilt.acl[*].id
}
