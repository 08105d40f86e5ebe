locals {
  a = [for k, v in {x = 1, y = 2} : "${k}=${v}" if v > 1]
  b = { for s in ["a", "b"] : s => upper(s)... }
  c = cidrsubnet("10.0.0.0/8", 8, 3)
  d = format("%-5s|%05.1f|%q", "ab", 3.14159, "x")
  e = try(jsondecode("{\"a\": [1, 2]}").a[1], "none")
  f = <<-EOT
    %{ for i in range(3) ~}
    item ${i}
    %{ endfor ~}
  EOT
  g = regex("(?P<k>[a-z]+)=(?P<v>[0-9]+)", "key=42")
  h = yamlencode({ list = [1, { x = null }] })
  i = [1, 2, 3][*]
  j = 10 / 3 % 2 - -1 == 1 ? !true : false || true && null == null
}
output "o" { value = local.a }
