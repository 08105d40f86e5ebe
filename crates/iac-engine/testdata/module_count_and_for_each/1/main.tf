module "web" {
  source = "./child"
  count  = 2
  name   = "web-${count.index}"
  leaves = []
}

module "site" {
  source   = "./child"
  for_each = { a = "alpha", b = "beta" }
  name     = "${each.key}-${each.value}"
  leaves   = each.key == "a" ? ["x", "y"] : []
}

resource "test_thing" "top" {
  name = join(",", concat([for w in module.web : w.id], [module.site["b"].id], module.site["a"].leaves))
}
