module "sub" {
  source = "./sub"
}

output "where" {
  value = {
    module   = path.module
    root     = path.root
    data     = file("${path.module}/data.txt")
    exists   = fileexists("${path.module}/data.txt")
    from_sub = module.sub.where
  }
}
