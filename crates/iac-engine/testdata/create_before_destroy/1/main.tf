resource "test_thing" "a" {
  name = "a"
  size = 1
  lifecycle {
    create_before_destroy = true
  }
}
