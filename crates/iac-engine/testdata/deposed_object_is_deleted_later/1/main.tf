resource "test_thing" "a" {
  name = "a"
  size = 1
  fail = "delete"
  lifecycle {
    create_before_destroy = true
  }
}
