resource "terraform_data" "a" {
}
output "o" {
  value = "two"
}
