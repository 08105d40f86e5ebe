variable "n" {
  default = 1
}
resource "terraform_data" "a" {
  lifecycle {
    precondition {
      condition     = var.n > 5
      error_message = "n is too small"
    }
  }
}
