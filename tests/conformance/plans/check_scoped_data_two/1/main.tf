check "two" {
  data "terraform_remote_state" "a1" {
    backend = "local"
    config  = { path = "x" }
  }
  data "terraform_remote_state" "a2" {
    backend = "local"
    config  = { path = "y" }
  }
  assert {
    condition     = true
    error_message = "never"
  }
}
