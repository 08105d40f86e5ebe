resource "terraform_data" "top" {
}
