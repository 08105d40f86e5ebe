variable "x" {
  default = "d"
}
output "o" {
  value = var.x
}
