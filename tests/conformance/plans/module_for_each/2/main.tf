module "m" {
  source = "./m"
  for_each = { b = "3", c = "4" }
  x = each.value
}
output "o" {
  value = { for k, m in module.m : k => m.o }
}
