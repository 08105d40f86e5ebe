# The quickstart: built-in resources only, so it runs with no cloud at all.
# `iac plan`, `iac apply`, then change `environment` and plan again.

variable "environment" {
  type        = string
  default     = "dev"
  description = "Name of the environment, used in every name below."
}

variable "servers" {
  type    = number
  default = 3
}

resource "random_pet" "project" {
  length = 2
}

locals {
  prefix = "${random_pet.project.id}-${var.environment}"
}

# One stand-in "server" per index, each knowing its own name.
resource "terraform_data" "server" {
  count = var.servers
  input = {
    name   = format("%s-web-%02d", local.prefix, count.index + 1)
    subnet = cidrsubnet("10.0.0.0/16", 8, count.index)
  }
}

# A generated secret: its value is never written to state or plans.
resource "random_password" "db" {
  length  = 24
  special = false
}

resource "terraform_data" "database" {
  input            = random_password.db.result
  triggers_replace = var.environment
}

# A real file on disk, refreshed from disk on every plan.
resource "local_file" "inventory" {
  filename = "${path.module}/inventory.txt"
  content  = join("\n", [for s in terraform_data.server : s.output.name])
}

output "servers" {
  value = terraform_data.server[*].output.name
}

output "inventory_file" {
  value = local_file.inventory.filename
}
