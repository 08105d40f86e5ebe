module "m" {
  source = "./m"
  count = 2
  x = "n${count.index}"
}
output "o" {
  value = module.m[*].o
}
