resource "test_thing" "a" {
  name = "a"
}
resource "test_thing" "b" {
  name = test_thing.a.id
}
resource "test_thing" "c" {
  name = "c"
}
output "b" {
  value = test_thing.b.id
}
output "c" {
  value = test_thing.c.id
}
