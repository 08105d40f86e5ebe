resource "test_password" "p" {
  length = 8
}

resource "test_thing" "a" {
  name   = "a"
  secret = jsonencode({ p = test_password.p.result })
}
