module "m" {
  source = "./m"
  for_each = { a = "1", b = "2" }
  x = each.value
}
output "o" {
  value = { for k, m in module.m : k => m.o }
}
