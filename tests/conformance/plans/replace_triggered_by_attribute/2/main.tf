resource "terraform_data" "a" {
  input = "y"
}
resource "terraform_data" "b" {
  lifecycle {
    replace_triggered_by = [terraform_data.a.output]
  }
}
