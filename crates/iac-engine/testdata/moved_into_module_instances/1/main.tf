module "a" {
  source = "./child"
  name   = "a"
}

module "b" {
  source   = "./child"
  for_each = toset(["k1", "k2"])
  name     = "b-${each.key}"
}
