resource "terraform_data" "a" {
  for_each = { x = 1, y = 3 }
  input = each.value
}
