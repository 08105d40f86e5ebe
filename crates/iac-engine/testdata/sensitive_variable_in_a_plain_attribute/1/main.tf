variable "s" {
  type      = string
  sensitive = true
}

resource "test_thing" "a" {
  name = var.s
}
