locals {
  a = 1
  b = local.a + 1
  c = [for i in range(local.b) : i * 10]
}
output "o" {
  value = local.c
}
