locals {
  names = ["a", "b", "c"]
}
resource "terraform_data" "a" {
  count = length(local.names)
  input = local.names[count.index]
}
output "o" {
  value = terraform_data.a[1].output
}
