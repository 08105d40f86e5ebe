environment = "sandbox"
image       = "ghcr.io/acme/web:1f2e3d"
servers     = 1
log_level   = "debug"
