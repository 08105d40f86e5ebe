module "m" {
  source = "./m"
  x = "2"
}
