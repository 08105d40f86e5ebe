variable "p" {
  default = "x"
  sensitive = true
}
output "o" {
  value = var.p
}
