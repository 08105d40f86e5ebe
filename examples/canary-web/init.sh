#!/bin/sh
# Boot script of a web server: serves the version and a health endpoint.
mkdir -p /srv/www
echo "${version}" > /srv/www/index.html
echo ok > /srv/www/health
cd /srv/www && nohup python3 -m http.server 80 >/dev/null 2>&1 &
