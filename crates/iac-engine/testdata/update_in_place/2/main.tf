resource "test_thing" "a" {
  name = "two"
  size = 1
}
