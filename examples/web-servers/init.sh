#!/bin/sh
# Boot script of web server ${index} in ${environment}.
echo "web ${index} (${environment})" > /var/www/index.html
