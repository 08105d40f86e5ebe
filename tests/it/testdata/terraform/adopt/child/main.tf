variable "prefix" {
  type = string
}

resource "terraform_data" "inner" {
  input = "${var.prefix}-inner"
}

output "v" {
  value = terraform_data.inner.output
}
