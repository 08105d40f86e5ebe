variable "db_password" {
  type      = string
  default   = "hunter2-adopted"
  sensitive = true
}

resource "terraform_data" "base" {
  input = "base"
}

resource "terraform_data" "counted" {
  count = 2
  input = "${terraform_data.base.output}-${count.index}"
}

resource "terraform_data" "each" {
  for_each         = toset(["a", "b"])
  input            = { name = each.key, n = 1 }
  triggers_replace = [terraform_data.base.id]
}

resource "terraform_data" "cbd" {
  input = 42
  lifecycle {
    create_before_destroy = true
  }
}

resource "terraform_data" "secret" {
  input = var.db_password
}

module "child" {
  source = "./child"
  prefix = "m"
}

output "joined" {
  value = join(",", terraform_data.counted[*].output)
}

output "password" {
  value     = var.db_password
  sensitive = true
}

output "child" {
  value = module.child.v
}

module "fleet" {
  source = "./child"
  count  = 2
  prefix = "fleet${count.index}"
}

module "zones" {
  source   = "./child"
  for_each = toset(["x", "y"])
  prefix   = "zone-${each.key}"
}

output "fleet" {
  value = module.fleet[*].v
}

output "zones" {
  value = { for k, z in module.zones : k => z.v }
}
