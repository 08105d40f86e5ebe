resource "terraform_data" "b" {
  input = "x"
}
moved {
  from = terraform_data.a
  to   = terraform_data.b
}
