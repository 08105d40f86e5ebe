resource "test_thing" "a" {
  name = "b"
  rule {
    port = 80
  }
  rule {
    port = 443
  }
}
