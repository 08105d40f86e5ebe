resource "test_thing" "m" {
  count = 5
  name  = "m-${count.index}"
}
