resource "test_thing" "a" {
  name = "a"
}
moved {
  from = test_thing.a
  to   = test_password.a
}
