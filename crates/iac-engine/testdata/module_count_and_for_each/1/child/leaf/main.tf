variable "name" {}

resource "test_thing" "leaf" {
  name = var.name
}

output "id" {
  value = test_thing.leaf.id
}
