resource "test_thing" "a" {
  name = "a"
}
resource "test_thing" "b" {
  name = test_thing.a.id
}
