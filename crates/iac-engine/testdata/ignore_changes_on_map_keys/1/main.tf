resource "test_thing" "a" {
  name = "a"
  tags = {
    Team  = "web"
    Owner = "ops"
  }
  lifecycle {
    ignore_changes = [tags["Owner"], tags["Extra"]]
  }
}
