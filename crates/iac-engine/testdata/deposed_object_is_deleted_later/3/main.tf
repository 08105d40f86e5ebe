resource "test_thing" "a" {
  name = "a"
  size = 2
  lifecycle {
    create_before_destroy = true
  }
}
