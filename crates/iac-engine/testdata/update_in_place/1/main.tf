resource "test_thing" "a" {
  name = "one"
  size = 1
}
