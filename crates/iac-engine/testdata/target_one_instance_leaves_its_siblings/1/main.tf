variable "n" {
  type = number
}

resource "test_thing" "m" {
  count = var.n
  name  = "m-${count.index}"
}
