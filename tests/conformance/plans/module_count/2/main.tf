module "m" {
  source = "./m"
  count = 1
  x = "n${count.index}"
}
output "o" {
  value = module.m[*].o
}
