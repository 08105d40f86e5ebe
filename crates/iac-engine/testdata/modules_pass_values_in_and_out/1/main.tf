module "child" {
  source = "./child"
  prefix = "p"
}

resource "test_thing" "top" {
  name = module.child.id
}
