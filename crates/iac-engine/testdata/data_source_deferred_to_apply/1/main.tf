resource "test_thing" "a" {
  name = "a"
}
data "test_lookup" "x" {
  name = test_thing.a.id
}

resource "test_thing" "b" {
  name = data.test_lookup.x.value
}
