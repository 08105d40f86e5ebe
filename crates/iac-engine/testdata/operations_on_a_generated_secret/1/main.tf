resource "test_password" "p" {
  length = 8
}

resource "test_thing" "a" {
  name   = test_password.p.result == "" ? "empty" : "set"
  secret = "${upper(test_password.p.result)}-${length(test_password.p.result) > 4 ? "long" : "short"}"
}
