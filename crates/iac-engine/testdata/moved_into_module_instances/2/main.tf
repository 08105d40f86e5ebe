module "a" {
  source = "./child"
  count  = 1
  name   = "a"
}

moved {
  from = module.a
  to   = module.a[0]
}

module "c" {
  source   = "./child"
  for_each = toset(["k1", "k2"])
  name     = "b-${each.key}"
}

moved {
  from = module.b
  to   = module.c
}
