resource "terraform_data" "a" {
  for_each = { x = 1, y = 2 }
  input = each.value
}
output "o" {
  value = { for k, v in terraform_data.a : k => v.output }
}
