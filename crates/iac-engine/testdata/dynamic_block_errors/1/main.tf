resource "test_thing" "a" {
  name = "a"
  dynamic "rules" {
    for_each = [1]
    content {
      port = rules.value
    }
  }
  dynamic "rule" {
    for_each = [1]
  }
  dynamic "rule" {
    for_each = 5
    content {
      port = rule.value
    }
  }
}
