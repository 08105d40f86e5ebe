resource "test_thing" "a" {
  name = "a"
}

removed {
  from = test_thing.a
}

removed {
  from = test_thing.b[0]
}
