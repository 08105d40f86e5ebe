# A container image released to a fleet behind a load balancer, blue-green.
# The same image goes to `sandbox` first and then, unchanged, to `live`: each
# environment has its own settings (sandbox.tfvars, live.tfvars) and its own
# secrets, which the servers fetch at boot; no secret is in user data or state.
# Runs against real AWS, or the local emulator: `eval "$(../../scripts/moto.sh)"`.

variable "environment" {
  type        = string
  description = "sandbox or live."
}

variable "image" {
  type        = string
  description = "The image to release, such as ghcr.io/acme/web:1f2e3d (built once, promoted unchanged)."
}

variable "servers" {
  type    = number
  default = 2
}

variable "log_level" {
  type    = string
  default = "info"
}

variable "db_password" {
  type      = string
  sensitive = true
  default   = "change-me"
}

data "aws_availability_zones" "available" {
  state = "available"
}

# Amazon Linux 2, from Amazon's account; the boot script installs Docker.
data "aws_ami" "linux" {
  owners      = ["137112412989"]
  most_recent = true
  filter {
    name   = "name"
    values = ["amzn2-ami-hvm-*-x86_64-gp2"]
  }
}

resource "aws_vpc" "main" {
  cidr_block = "10.93.0.0/16"
  tags       = { Name = "web-${var.environment}" }
}

resource "aws_subnet" "public" {
  count             = 2
  vpc_id            = aws_vpc.main.id
  cidr_block        = cidrsubnet(aws_vpc.main.cidr_block, 8, count.index)
  availability_zone = data.aws_availability_zones.available.names[count.index]
}

resource "aws_lb" "web" {
  name    = "web-${var.environment}"
  subnets = aws_subnet.public[*].id
}

resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.web.arn
  port              = 80
  default_action {
    type = "fixed-response"
    fixed_response {
      content_type = "text/plain"
      status_code  = "503"
    }
  }
  lifecycle {
    ignore_changes = [default_action]
  }
}

# The database password of this environment, read by the servers at boot.
resource "aws_secretsmanager_secret" "db" {
  name = "web-${var.environment}-db"
}

resource "aws_secretsmanager_secret_version" "db" {
  secret_id     = aws_secretsmanager_secret.db.id
  secret_string = var.db_password
}

# Lets the servers read that secret (and nothing else).
resource "aws_iam_role" "web" {
  name = "web-${var.environment}"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ec2.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy" "read_db_secret" {
  role = aws_iam_role.web.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = "secretsmanager:GetSecretValue"
      Resource = aws_secretsmanager_secret.db.arn
    }]
  })
}

resource "aws_iam_instance_profile" "web" {
  name = "web-${var.environment}"
  role = aws_iam_role.web.name
}

deployment "web" {
  listener = aws_lb_listener.http
  strategy = "blue_green"

  fleet {
    count                = var.servers
    ami                  = data.aws_ami.linux.id
    instance_type        = "t3.micro"
    subnet_ids           = aws_subnet.public[*].id
    iam_instance_profile = aws_iam_instance_profile.web.name
    container {
      image       = var.image
      port        = 8080
      environment = { APP_ENV = var.environment, LOG_LEVEL = var.log_level }
      secrets     = { DB_PASSWORD = aws_secretsmanager_secret.db.arn }
      health_path = "/healthz"
    }
    target_group {
      port   = 80
      vpc_id = aws_vpc.main.id
    }
  }

  health {
    timeout = "10m"
  }
  rollback {
    keep_previous = "1h"
  }
}

output "url" {
  value = "http://${aws_lb.web.dns_name}/"
}

output "release" {
  value = deployment.web.release
}
