resource "terraform_data" "a" {
  count = 3
  input = count.index
}
output "ids" {
  value = terraform_data.a[*].output
}
