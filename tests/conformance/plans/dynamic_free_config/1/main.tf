resource "terraform_data" "a" {
  input = { for i in range(3) : "k${i}" => i }
}
output "o" {
  value = terraform_data.a.output
}
