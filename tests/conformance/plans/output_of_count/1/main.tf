resource "terraform_data" "a" {
  count = 2
  input = count.index
}
output "all" {
  value = terraform_data.a[*].output
}
output "n" {
  value = length(terraform_data.a)
}
