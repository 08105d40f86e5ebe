variable "name" {}

resource "test_thing" "x" {
  name = var.name
}
