provider "test" {
  alias = "two"
}

resource "test_thing" "a" {
  name = "a"
}
