resource "test_thnig" "a" {
  name = "a"
}
