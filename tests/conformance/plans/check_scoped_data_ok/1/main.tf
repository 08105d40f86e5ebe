resource "terraform_data" "a" {
  input = "x"
}
check "remote" {
  data "terraform_remote_state" "other" {
    backend = "local"
    config = {
      path = "${path.module}/other.tfstate"
    }
  }
  assert {
    condition     = data.terraform_remote_state.other.outputs.name == "other"
    error_message = "other is not named other"
  }
}
output "a" { value = terraform_data.a.output }
