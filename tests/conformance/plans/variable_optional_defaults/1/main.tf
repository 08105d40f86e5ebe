variable "o" {
  type = object({ a = string, b = optional(number, 7) })
  default = { a = "x" }
}
output "o" {
  value = var.o
}
