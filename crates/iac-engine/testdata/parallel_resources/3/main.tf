resource "test_thing" "s0" {
  name = "s0"
  size = 0
}

resource "test_thing" "s1" {
  name = "s1"
  size = 1
}

resource "test_thing" "s2" {
  name = "s2"
  size = 2
}

resource "test_thing" "s3" {
  name = "s3"
  size = 3
}

resource "test_thing" "s4" {
  name = "s4"
  size = 4
}

resource "test_thing" "s5" {
  name = "s5-renamed"
  size = 5
}

resource "test_thing" "s6" {
  name = "s6"
  size = 6
}

resource "test_thing" "s7" {
  name = "s7"
  size = 7
}

resource "test_thing" "s8" {
  name = "s8"
  size = 8
}

resource "test_thing" "s9" {
  name = "s9"
  size = 9
}

resource "test_thing" "s10" {
  name = "s10"
  size = 10
}

resource "test_thing" "s11" {
  name = "s11"
  size = 11
}

resource "test_thing" "s12" {
  name = "s12"
  size = "big"
}

resource "test_thing" "s13" {
  name = "s13"
  size = 13
}

resource "test_thing" "s14" {
  name = "s14"
  size = 14
}

resource "test_thing" "s15" {
  name = "s15"
  size = 15
}

resource "test_thing" "s16" {
  name = "s16"
  size = 16
}

resource "test_thing" "s17" {
  name = "s17"
  size = 17
}

resource "test_thing" "s18" {
  name = "s18"
  size = 18
}

resource "test_thing" "s19" {
  name = "s19"
  size = 19
}

resource "test_thing" "s20" {
  name = "s20"
  size = 20
}

resource "test_thing" "s21" {
  name = "s21"
  size = 21
}

resource "test_thing" "s22" {
  name = "s22"
  size = 22
}

resource "test_thing" "s23" {
  name = "s23"
  size = 23
}

resource "test_thing" "s24" {
  name = "s24"
  size = 24
}

resource "test_thing" "s25" {
  name = "s25"
  size = 25
}

resource "test_thing" "s26" {
  name = "s26"
  size = 26
}

resource "test_thing" "s27" {
  name = "s27"
  size = 27
}

resource "test_thing" "s28" {
  name = "s28"
  size = 28
}

resource "test_thing" "s29" {
  name = "s29"
  size = 29
}

resource "test_thing" "s30" {
  name = "s30"
  size = 30
}

resource "test_thing" "s31" {
  name = "s31"
  size = 31
}

resource "test_thing" "s32" {
  name = "s32"
  size = 32
}

resource "test_thing" "s33" {
  name = "s33"
  size = 33
}

resource "test_thing" "s34" {
  name = "s34"
  size = 34
}

resource "test_thing" "s35" {
  name = "s35"
  size = 35
}

resource "test_thing" "s36" {
  name = "s36"
  size = 36
}

resource "test_thing" "s37" {
  name = "s37"
  size = 37
}

resource "test_thing" "s38" {
  name = "s38"
  size = 38
}

resource "test_thing" "s39" {
  name = "s39"
  size = 39
}

resource "test_thing" "s40" {
  name = "s40"
  size = 40
}

resource "test_thing" "s41" {
  name = "s41"
  size = 41
}

resource "test_thing" "s42" {
  name = "s42"
  size = 42
}

resource "test_thing" "s43" {
  name = "s43"
  size = 43
}

resource "test_thing" "s44" {
  name = "s44"
  size = 44
}

resource "test_thing" "s45" {
  name = "s45"
  size = 45
}

resource "test_thing" "s46" {
  name = "s46"
  size = 46
}

resource "test_thing" "s47" {
  name = "s47"
  size = 47
}

resource "test_thing" "s48" {
  name = "s48"
  size = 48
}

resource "test_thing" "s49" {
  name = "s49"
  size = 49
}

resource "test_thing" "s50" {
  name = "s50"
  size = 50
}

resource "test_thing" "s51" {
  name = "s51"
  size = 51
}

resource "test_thing" "s52" {
  name = "s52"
  size = 52
}

resource "test_thing" "s53" {
  name = "s53"
  size = 53
}

resource "test_thing" "s54" {
  name = "s54"
  size = 54
}

resource "test_thing" "s55" {
  name = "s55"
  size = 55
}

resource "test_thing" "s56" {
  name = "s56"
  size = 56
}

resource "test_thing" "s57" {
  name = "s57"
  size = 57
}

resource "test_thing" "s58" {
  name = "s58"
  size = 58
}

resource "test_thing" "s59" {
  name = "s59"
  size = 59
}

resource "test_thing" "s60" {
  name = "s60-renamed"
  size = 60
}

resource "test_thing" "s61" {
  name = "s61"
  size = 61
}

resource "test_thing" "s62" {
  name = "s62"
  size = 62
}

resource "test_thing" "s63" {
  name = "s63"
  size = 63
}

resource "test_thing" "s64" {
  name = "s64"
  size = 64
}

resource "test_thing" "s65" {
  name = "s65"
  size = 65
}

resource "test_thing" "s66" {
  name = "s66"
  size = 66
}

resource "test_thing" "s67" {
  name = "s67"
  size = 67
}

resource "test_thing" "s68" {
  name = "s68"
  size = 68
}

resource "test_thing" "s69" {
  name = "s69"
  size = 69
}

resource "test_thing" "m" {
  count = 1
  name  = "m"
  size  = 1
}

resource "test_thing" "e" {
  for_each = toset(["y", "z"])
  name     = each.key
  size     = 2
}

resource "test_thing" "after" {
  name = "${test_thing.s3.name}-${test_thing.m[0].name}-${test_thing.e["z"].name}"
  size = test_thing.s4.size
}
