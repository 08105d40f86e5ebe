resource "test_thing" "old" {
  name = "a"
}
