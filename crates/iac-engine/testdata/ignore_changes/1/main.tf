resource "test_thing" "a" {
  name = "a"
  size = 1
  lifecycle {
    ignore_changes = [name]
  }
}
