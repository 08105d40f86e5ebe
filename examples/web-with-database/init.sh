#!/bin/sh
# Boot script of an app server: fetch the secrets from Secrets Manager (the
# instance profile allows it) and hand them to the app through its environment.
# Nothing secret is in this script or in iac's state: only ARNs.
set -eu
db_password=$(aws secretsmanager get-secret-value --secret-id '${db_secret_arn}' \
  --query SecretString --output text | python3 -c 'import json,sys; print(json.load(sys.stdin)["password"])')
api_token=$(aws secretsmanager get-secret-value --secret-id '${token_arn}' \
  --query SecretString --output text)
install -m 0600 /dev/null /etc/app.env
cat > /etc/app.env <<ENV
DATABASE_URL=postgres://app_admin:$${db_password}@${db_host}:5432/app
API_TOKEN=$${api_token}
ENV
systemctl restart app || true
