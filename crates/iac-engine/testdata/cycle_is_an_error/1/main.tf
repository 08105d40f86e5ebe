resource "test_thing" "a" {
  name = test_thing.b.id
}
resource "test_thing" "b" {
  name = test_thing.a.id
}
