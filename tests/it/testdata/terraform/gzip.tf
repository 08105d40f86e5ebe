# Inputs for base64gzip whose bytes Terraform 1.11.4 wrote are in gzip.json
# (written by scripts/terraform-golden.sh). Each input is made by functions
# that agree with Terraform, so iac builds the same text and must compress it
# to the same bytes: empty and one-byte inputs, fixed-code blocks, dynamic
# blocks, matches of every length and distance, a window that slides (inputs
# over 64 KiB), blocks split at 16,384 tokens, stored blocks, UTF-8.
output "empty" { value = base64gzip("") }
output "one" { value = base64gzip("a") }
output "hello" { value = base64gzip("hello, gzip") }
output "cloud_init" {
  value = base64gzip(<<-EOT
    #cloud-config
    package_update: true
    packages:
      - nginx
      - jq
    write_files:
      - path: /etc/nginx/conf.d/app.conf
        content: |
          server {
            listen 80;
            location / { proxy_pass http://127.0.0.1:8080; }
          }
    runcmd:
      - systemctl enable nginx
      - systemctl restart nginx
      - echo "ready" > /var/run/app-ready
    EOT
  )
}
output "repeat" { value = base64gzip(join("", [for i in range(1000) : "abc"])) }
output "run" { value = base64gzip(join("", flatten([for i in range(70) : [for j in range(1000) : "a"]]))) }
output "hashes" { value = base64gzip(join("\n", [for i in range(200) : sha256(tostring(i))])) }
output "noise" { value = base64gzip(join("", flatten([for a in range(2) : [for b in range(1000) : substr(sha512(tostring(a * 1000 + b)), 0, 7)]]))) }
output "short_noise" { value = base64gzip(substr(sha512("x"), 0, 40)) }
output "unicode" { value = base64gzip(join("", [for i in range(50) : "héllo wörld ✓ 日本語 ${i} "])) }
output "lines" {
  value = base64gzip(join("", flatten([for a in range(3) : [for b in range(1000) : format("%05d %s the quick brown fox jumps over the lazy dog %s\n", a * 1000 + b, md5(tostring(a * 1000 + b)), b % 7 == 0 ? "seven" : "")]])))
}
output "mixed" {
  value = base64gzip(join("", flatten([for a in range(20) : [for b in range(1000) : b % 3 == 0 ? "xyz" : substr(sha1(tostring(a * 1000 + b)), 0, 2)]])))
}
