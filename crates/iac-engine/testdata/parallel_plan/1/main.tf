resource "test_thing" "a" {
  count = 100
  name  = "a-${count.index}"
  size  = count.index
}

# Each instance reads its own instance of a: a value handed to the wrong
# instance shows as a change.
resource "test_thing" "b" {
  count = 100
  name  = "${test_thing.a[count.index].name}-b"
  size  = test_thing.a[count.index].size * 2
}
