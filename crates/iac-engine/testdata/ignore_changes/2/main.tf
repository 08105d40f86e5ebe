resource "test_thing" "a" {
  name = "other"
  size = 1
  lifecycle {
    ignore_changes = [name]
  }
}
