environment = "live"
image       = "ghcr.io/acme/web:1f2e3d"
servers     = 3
log_level   = "warn"
