resource "terraform_data" "a" {
  input = "y"
  lifecycle {
    ignore_changes = [input]
  }
}
