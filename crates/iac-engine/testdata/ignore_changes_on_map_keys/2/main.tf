resource "test_thing" "a" {
  name = "a"
  tags = {
    Team  = "api"
    Owner = "nobody"
    Extra = "never written"
  }
  lifecycle {
    ignore_changes = [tags["Owner"], tags["Extra"]]
  }
}
