variable "name" {}
variable "leaves" {}

resource "test_thing" "in_child" {
  name = var.name
}

module "leaf" {
  source   = "./leaf"
  for_each = toset(var.leaves)
  name     = "${var.name}/${each.key}"
}

output "id" {
  value = test_thing.in_child.id
}

output "leaves" {
  value = [for k, l in module.leaf : l.id]
}
