# A web fleet behind an application load balancer, released as a canary:
# each change to the fleet builds a new release, then moves traffic to it in
# weighted steps (10%, 50%, 100%), checking health at every step and moving
# everything back if a check fails.
# Runs against real AWS, or the local emulator: `eval "$(../../scripts/moto.sh)"`.

variable "app_version" {
  type        = string
  default     = "v1"
  description = "The version the servers run; changing it makes a new release."
}

variable "step_interval" {
  type        = string
  default     = "5m"
  description = "Time at each traffic step, checking health."
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
  cidr_block = "10.91.0.0/16"
  tags       = { Name = "canary-web" }
}

resource "aws_subnet" "public" {
  count             = 2
  vpc_id            = aws_vpc.main.id
  cidr_block        = cidrsubnet(aws_vpc.main.cidr_block, 8, count.index)
  availability_zone = data.aws_availability_zones.available.names[count.index]
}

resource "aws_security_group" "web" {
  name        = "canary-web"
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
  name            = "canary-web"
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
  strategy = "canary"

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

  canary {
    steps    = [10, 50, 100]
    interval = var.step_interval
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
