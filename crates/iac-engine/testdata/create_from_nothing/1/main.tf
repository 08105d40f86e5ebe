resource "test_thing" "a" {
  name = "a"
  size = 1
}

resource "test_thing" "b" {
  name = "b-${test_thing.a.id}"
}

output "b" {
  value = test_thing.b.computed
}
