resource "test_thing" "a" {
  name = "a"
  fail = "create"
}
resource "test_thing" "b" {
  name = test_thing.a.id
}
resource "test_thing" "c" {
  name = "c"
}
