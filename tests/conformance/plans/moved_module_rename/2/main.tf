module "new" {
  source = "./m"
}
moved {
  from = module.old
  to   = module.new
}
