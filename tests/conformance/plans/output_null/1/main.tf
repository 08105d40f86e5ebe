output "n" {
  value = null
}
