# A Terraform user's small stack, applied by Terraform 1.11.4 with hashicorp/aws
# 5.100.0 against moto (scripts/terraform-golden.sh); its terraform.tfstate is
# what tests/it/adopt.rs takes over.
variable "db_password" {
  type      = string
  default   = "adopted-Secret-1"
  sensitive = true
}

resource "aws_vpc" "main" {
  cidr_block           = "10.42.0.0/16"
  enable_dns_hostnames = true
  tags = {
    Name = "adopted"
  }
}

resource "aws_subnet" "a" {
  vpc_id            = aws_vpc.main.id
  cidr_block        = "10.42.1.0/24"
  availability_zone = "us-east-1a"
  tags = {
    Name = "adopted-a"
  }
}

resource "aws_security_group" "web" {
  name        = "adopted-web"
  description = "web"
  vpc_id      = aws_vpc.main.id
  ingress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_s3_bucket" "logs" {
  bucket = "adopted-logs-bucket"
  tags = {
    team = "web"
  }
}

resource "aws_iam_role" "app" {
  name = "adopted-app"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "ec2.amazonaws.com" }
    }]
  })
}

resource "aws_ssm_parameter" "db" {
  name  = "/adopted/db-password"
  type  = "SecureString"
  value = var.db_password
}

output "vpc_id" {
  value = aws_vpc.main.id
}
