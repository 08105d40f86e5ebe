variable "n" {
  default = 2
}
resource "terraform_data" "a" {
  count = var.n
}
