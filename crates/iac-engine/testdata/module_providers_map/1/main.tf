provider "test" {
  alias  = "two"
  region = "two"
}

module "passed" {
  source    = "./child"
  providers = { test = test.two }
  label     = "passed"
}

module "inherited" {
  source = "./child"
  label  = "inherited"
}
