resource "terraform_data" "a" {
}
module "m" {
  source = "./m"
  count = length(terraform_data.a.id)
}
