resource "test_thing" "a" {
  name = "a"
  size = 2
}
resource "test_thing" "b" {
  name = test_thing.a.id
}
