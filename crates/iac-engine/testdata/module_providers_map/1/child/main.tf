variable "label" {}

resource "test_thing" "in_child" {
  name = var.label
}
