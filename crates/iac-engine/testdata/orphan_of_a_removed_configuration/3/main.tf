provider "test" {
  alias = "two"
}
