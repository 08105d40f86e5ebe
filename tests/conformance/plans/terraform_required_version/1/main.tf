terraform {
  required_version = ">= 1.0"
}
output "o" {
  value = 1
}
