variable "ids" {
  type    = list(string)
  default = []
}
variable "tags" {
  type    = map(string)
  default = {}
}
variable "names" {
  type    = set(string)
  default = []
}
# A list never equals a tuple in Terraform, even empty: this count is 1.
resource "terraform_data" "guarded" {
  count = var.ids == [] ? 0 : 1
  input = length(var.ids)
}
output "list_vs_tuple" { value = var.ids == [] }
output "list_vs_list" { value = var.ids == tolist([]) }
output "map_vs_object" { value = var.tags == {} }
output "map_vs_map" { value = var.tags == tomap({}) }
output "set_vs_tuple" { value = var.names != [] }
output "length_zero" { value = length(var.ids) == 0 }
locals {
  empty = tolist([])
  alias = local.empty
  pairs = [for x in var.ids : x]
}
output "local_vs_tuple" { value = local.alias == [] }
output "local_vs_local" { value = local.pairs == [] }
output "local_vs_var" { value = local.empty == var.ids }
