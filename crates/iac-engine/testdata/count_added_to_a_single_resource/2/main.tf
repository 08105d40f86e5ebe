resource "test_thing" "a" {
  count = 1
  name  = "a"
}
