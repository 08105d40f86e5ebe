resource "test_thing" "a" {
  count = 0
  nmae  = "a"
}
