resource "test_thing" "new" {
  name = "a"
}
moved {
  from = test_thing.old
  to   = test_thing.new
}
