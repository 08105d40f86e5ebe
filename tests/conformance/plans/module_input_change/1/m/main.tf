variable "x" {}
resource "terraform_data" "a" {
  input = var.x
}
