resource "test_thing" "a" {
  count = 100
  name  = count.index == 11 || count.index == 88 ? 5 : "a-${count.index}"
  size  = count.index == 20 ? "big" : count.index
}

resource "test_thing" "b" {
  count = 100
  name  = "${test_thing.a[count.index].name}-b"
  size  = test_thing.a[count.index].size * 2
}
