resource "test_thing" "a" {
  name = "a"
}
resource "test_thing" "m" {
  count = length(test_thing.a.id)
  name  = "m"
}
