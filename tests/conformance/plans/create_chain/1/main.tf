resource "terraform_data" "a" {
  input = "x"
}
resource "terraform_data" "b" {
  input = terraform_data.a.output
}
resource "terraform_data" "c" {
  input = terraform_data.b.output
}
output "c" {
  value = terraform_data.c.output
}
