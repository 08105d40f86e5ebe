module "m" {
  source = "./m"
}

output "root" {
  value = [path.module, path.root]
}

output "child" {
  value = module.m.where
}
