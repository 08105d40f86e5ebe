provider "test" {
  alias = "two"
}

resource "test_thing" "a" {
  provider = test.two
  name     = "a"
}
