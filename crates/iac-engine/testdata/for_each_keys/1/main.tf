variable "names" {
  type = set(string)
}

resource "test_thing" "k" {
  for_each = var.names
  name     = each.key
}
