variable "x" {
  type = string
}
output "o" {
  value = var.x
}
