output "s" {
  value = "secret"
  sensitive = true
}
output "n" {
  value = nonsensitive(sensitive("shown"))
}
