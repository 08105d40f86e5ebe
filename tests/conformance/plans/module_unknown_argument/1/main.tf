module "m" {
  source = "./m"
  y = 1
}
