variable "n" {
  type = number
}
output "o" {
  value = var.n + 1
}
