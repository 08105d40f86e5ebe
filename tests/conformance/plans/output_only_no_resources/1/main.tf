output "x" {
  value = 1 + 1
}
output "s" {
  value = upper("a")
}
