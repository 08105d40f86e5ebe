variable "prefix" {}

resource "test_thing" "in_child" {
  name = "${var.prefix}-child"
}
output "id" {
  value = test_thing.in_child.id
}
