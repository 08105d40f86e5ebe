resource "test_thing" "a" {
  name = "a"
}
resource "test_thing" "b" {
  name = "b"
  lifecycle {
    replace_triggered_by = [test_thing.a.name]
  }
}
