resource "test_thing" "a" {
  count = 100
  name  = "a-${count.index}"
  size  = count.index == 7 || count.index == 93 ? 1000 : count.index
}

resource "test_thing" "b" {
  count = 100
  name  = "${test_thing.a[count.index].name}-b"
  size  = test_thing.a[count.index].size * 2
}
