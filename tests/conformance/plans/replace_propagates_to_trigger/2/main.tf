resource "terraform_data" "a" {
  input = "x"
  triggers_replace = [2]
}
resource "terraform_data" "b" {
  triggers_replace = [terraform_data.a.id]
}
