resource "terraform_data" "a" {
  for_each = toset(["new"])
}
moved {
  from = terraform_data.a["old"]
  to   = terraform_data.a["new"]
}
