resource "test_thing" "a" {
  name = "a"
}
import {
  to = test_thing.a
  id = "a-1"
}
