resource "terraform_data" "a" {
  input = { n = 1, s = "x", l = [1, 2], b = true }
}
output "a" {
  value = terraform_data.a.output
}
