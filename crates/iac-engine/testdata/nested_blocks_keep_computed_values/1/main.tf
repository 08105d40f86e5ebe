resource "test_thing" "a" {
  name = "a"
  rule {
    port = 80
  }
  rule {
    port = 443
  }
}
