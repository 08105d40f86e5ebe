resource "terraform_data" "a" {
  input = "x"
  lifecycle {
    postcondition {
      condition     = self.output == "x"
      error_message = "wrong"
    }
  }
}
