removed {
  from = test_thing.b
  lifecycle {
    destroy = false
  }
}

removed {
  from = test_thing.a
}

removed {
  from = module.m
  lifecycle {
    destroy = false
  }
}
