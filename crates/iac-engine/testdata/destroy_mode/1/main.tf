resource "test_thing" "a" {
  name = "a"
}
resource "test_thing" "b" {
  name = test_thing.a.id
}
output "b" {
  value = test_thing.b.id
}
