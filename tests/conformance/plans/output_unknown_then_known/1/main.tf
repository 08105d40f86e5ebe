resource "terraform_data" "a" {
}
output "id" {
  value = length(terraform_data.a.id)
}
