resource "terraform_data" "b" {
}
moved {
  from = terraform_data.a
  to   = null_resource.b
}
