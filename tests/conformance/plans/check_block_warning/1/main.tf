resource "terraform_data" "a" {
  input = "x"
}
check "c" {
  assert {
    condition     = terraform_data.a.output == "nope"
    error_message = "the output is not nope"
  }
}
