resource "test_thing" "a" {
  name = "changed"
  fail = "update"
}
