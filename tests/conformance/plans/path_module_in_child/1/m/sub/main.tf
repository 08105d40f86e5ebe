output "where" {
  value = path.module
}
