# A small network managed from CI: plans on pull requests, applies from main.
# The state lives in S3; the bucket and key come from -backend-config at
# `iac init`, so the same files serve every environment.

terraform {
  backend "s3" {
    key    = "network/iac.tfstate"
    region = "us-east-1"
  }
}

variable "cidr" {
  type    = string
  default = "10.20.0.0/16"
}

variable "subnets" {
  type    = number
  default = 2
}

resource "aws_vpc" "main" {
  cidr_block = var.cidr
  tags = {
    Name = "ci-example"
  }
}

resource "aws_subnet" "app" {
  count      = var.subnets
  vpc_id     = aws_vpc.main.id
  cidr_block = cidrsubnet(var.cidr, 8, count.index)
  tags = {
    Name = "ci-example-${count.index}"
  }
}

output "subnet_ids" {
  value = aws_subnet.app[*].id
}
