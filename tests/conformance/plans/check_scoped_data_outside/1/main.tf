check "remote" {
  data "terraform_remote_state" "other" {
    backend = "local"
    config = {
      path = "${path.module}/missing.tfstate"
    }
  }
  assert {
    condition     = true
    error_message = "never"
  }
}
output "leak" { value = data.terraform_remote_state.other.outputs }
