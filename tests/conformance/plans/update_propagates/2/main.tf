resource "terraform_data" "a" {
  input = "y"
}
resource "terraform_data" "b" {
  input = terraform_data.a.output
}
