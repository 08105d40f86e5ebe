variable "size" {
  type = number
  validation {
    condition     = var.size > 0
    error_message = "size must be positive"
  }
}

resource "test_thing" "a" {
  size = var.size
}
