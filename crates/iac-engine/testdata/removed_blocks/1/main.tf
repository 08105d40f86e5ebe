resource "test_thing" "a" {
  name = "a"
}

resource "test_thing" "b" {
  count = 2
  name  = "b${count.index}"
}

module "m" {
  source = "./m"
}
