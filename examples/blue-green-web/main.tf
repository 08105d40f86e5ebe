# A web fleet behind an application load balancer, released blue-green:
# each change to the fleet builds a new release beside the live one, checks
# it, and flips the listener to it in one call. The previous release is kept
# for an hour for `iac rollback deployment.web`.
# Runs against real AWS, or the local emulator: `eval "$(../../scripts/moto.sh)"`.

variable "app_version" {
  type        = string
  default     = "v1"
  description = "The version the servers run; changing it makes a new release."
}

variable "servers" {
  type    = number
  default = 3
}

variable "check_url" {
  type        = string
  default     = null
  description = "Optional http:// URL that must answer 2xx before traffic moves."
}

data "aws_availability_zones" "available" {
  state = "available"
}

data "aws_ami" "linux" {
  owners      = ["amazon"]
  most_recent = true
  filter {
    name   = "name"
    values = ["amzn2-ami-*"]
  }
}

resource "aws_vpc" "main" {
  cidr_block = "10.90.0.0/16"
  tags       = { Name = "blue-green-web" }
}

resource "aws_subnet" "public" {
  count             = 2
  vpc_id            = aws_vpc.main.id
  cidr_block        = cidrsubnet(aws_vpc.main.cidr_block, 8, count.index)
  availability_zone = data.aws_availability_zones.available.names[count.index]
}

resource "aws_security_group" "web" {
  name        = "blue-green-web"
  description = "HTTP in, everything out"
  vpc_id      = aws_vpc.main.id
  ingress {
    from_port   = 80
    to_port     = 80
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

resource "aws_lb" "web" {
  name            = "blue-green-web"
  subnets         = aws_subnet.public[*].id
  security_groups = [aws_security_group.web.id]
}

# The deployment owns where this listener forwards; the listener starts with
# a 503 until the first release is live.
resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.web.arn
  port              = 80
  protocol          = "HTTP"
  default_action {
    type = "fixed-response"
    fixed_response {
      content_type = "text/plain"
      message_body = "no release yet"
      status_code  = "503"
    }
  }
  lifecycle {
    ignore_changes = [default_action]
  }
}

deployment "web" {
  listener = aws_lb_listener.http
  strategy = "blue_green"

  fleet {
    count                  = var.servers
    ami                    = data.aws_ami.linux.id
    instance_type          = "t3.micro"
    subnet_ids             = aws_subnet.public[*].id
    vpc_security_group_ids = [aws_security_group.web.id]
    user_data              = templatefile("${path.module}/init.sh", { version = var.app_version })
    tags                   = { App = "web" }
    target_group {
      port   = 80
      vpc_id = aws_vpc.main.id
      health_check {
        path    = "/health"
        matcher = "200"
      }
    }
  }

  health {
    healthy_targets = "100%"
    timeout         = "10m"
    check_url       = var.check_url
  }

  rollback {
    automatic     = true
    keep_previous = "1h"
  }
}

output "url" {
  value = "http://${aws_lb.web.dns_name}/"
}

output "live_release" {
  value = deployment.web.release
}
