resource "terraform_data" "a" {
}
resource "terraform_data" "b" {
}
output "a" {
  value = terraform_data.a.id != null
}
