provider "test" {
  alias = "two"
}

resource "test_thing" "b" {
  provider = test.tow
  name     = "b"
}
