module "old" {
  source = "./m"
}
