module "m" {
  source = "./m"
  x = "in"
}
output "o" {
  value = module.m.o
}
