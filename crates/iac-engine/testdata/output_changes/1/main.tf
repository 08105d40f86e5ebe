resource "test_thing" "a" {
  name = "a"
}
output "name" {
  value = test_thing.a.name
}
