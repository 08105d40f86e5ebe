data "test_lookup" "x" {
  name = "x"
}

resource "test_thing" "a" {
  name = data.test_lookup.x.value
}
