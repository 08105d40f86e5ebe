variable "x" {}
resource "terraform_data" "a" {
  input = var.x
}
output "o" {
  value = terraform_data.a.output
}
