variable "ports" {
  default = [443]
}
locals {
  extra = { ssh = 22 }
}
resource "test_thing" "src" {
  name = "src"
}
resource "test_thing" "a" {
  name = "a"
  rule {
    port = 8080
  }
  dynamic "rule" {
    for_each = var.ports
    content {
      port = rule.value
    }
  }
  dynamic "rule" {
    for_each = merge(local.extra, { src = length(test_thing.src.id) })
    iterator = r
    content {
      port = r.key == "src" ? 1 : r.value
    }
  }
}
