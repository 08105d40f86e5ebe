variable "n" {
  type = number
}

resource "test_thing" "m" {
  count = var.n
  name  = "new-${count.index}"
}
