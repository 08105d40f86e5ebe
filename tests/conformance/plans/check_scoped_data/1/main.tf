resource "terraform_data" "a" {
  input = "x"
}
check "remote" {
  data "terraform_remote_state" "other" {
    backend = "local"
    config = {
      path = "${path.module}/missing.tfstate"
    }
  }
  assert {
    condition     = data.terraform_remote_state.other.outputs == {}
    error_message = "other has outputs"
  }
}
