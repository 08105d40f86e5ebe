resource "test_thing" "a" {
  name = "a"
}
output "name" {
  value = "${test_thing.a.name}!"
}

output "id" {
  value = test_thing.a.id
}
