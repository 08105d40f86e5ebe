provider "test" {
  region = "one"
}

provider "test" {
  alias  = "two"
  region = "two"
}

resource "test_thing" "a" {
  name = "a"
}
resource "test_thing" "b" {
  provider = test.two
  name     = "b"
}
