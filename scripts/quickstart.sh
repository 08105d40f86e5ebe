#!/usr/bin/env bash
# Builds iac, starts the local AWS emulator (moto, installed into .tools/ on first
# use), and runs examples/web-servers end to end: plan, apply, a no-change plan, a
# change plan, and destroy; then examples/web-with-database in its sandbox
# environment (and a plan of live); then the deployment examples blue-green-web
# (release, flip, rollback) and canary-web (weighted steps); then
# examples/quickstart, which needs no cloud at all. Needs a Rust toolchain and python3.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
cargo build --bin iac
iac="${CARGO_TARGET_DIR:-$root/target}/debug/iac"
step() { printf '\n\033[1m== %s ==\033[0m\n' "$*"; }

step "starting the local AWS emulator"
eval "$(scripts/moto.sh)"
work="$(mktemp -d)"
trap 'kill "$MOTO_PID" 2>/dev/null || true; rm -rf "$work"' EXIT
echo "AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL"

cp -r examples/web-servers "$work/web-servers"
cd "$work/web-servers"
step "web-servers: iac plan";                  "$iac" plan
step "web-servers: iac apply -auto-approve";   "$iac" apply -auto-approve
step "web-servers: iac plan (nothing to do)";  "$iac" plan -detailed-exitcode
step "web-servers: iac plan -var servers=4 -var instance_type=t3.small (a change)"
"$iac" plan -var servers=4 -var instance_type=t3.small || true
step "web-servers: iac destroy -auto-approve"; "$iac" destroy -auto-approve

cp -r "$root/examples/web-with-database" "$work/web-with-database"
cd "$work/web-with-database"
step "web-with-database: iac apply -e sandbox (RDS + Secrets Manager; no secret in state)"
"$iac" apply -auto-approve -e sandbox
step "web-with-database: iac plan -e live (same files, live sizes, its own state)"
"$iac" plan -e live
step "web-with-database: iac destroy -e sandbox"; "$iac" destroy -auto-approve -e sandbox

cp -r "$root/examples/blue-green-web" "$work/blue-green-web"
cd "$work/blue-green-web"
step "blue-green-web: iac apply (release 1 behind a load balancer)"; "$iac" apply -auto-approve
step "blue-green-web: iac plan -var app_version=v2 (the strategy as steps)"; "$iac" plan -var app_version=v2 || true
step "blue-green-web: iac apply -var app_version=v2 (build, check, flip)"; "$iac" apply -auto-approve -var app_version=v2
step "blue-green-web: iac deployments"; "$iac" deployments
step "blue-green-web: iac rollback deployment.web"; "$iac" rollback -auto-approve deployment.web
step "blue-green-web: iac destroy"; "$iac" destroy -auto-approve

cp -r "$root/examples/canary-web" "$work/canary-web"
cd "$work/canary-web"
step "canary-web: iac apply (release 1)"; "$iac" apply -auto-approve
step "canary-web: iac apply -var app_version=v2 (10% → 50% → 100%, 2 s each)"
"$iac" apply -auto-approve -var app_version=v2 -var step_interval=2s
step "canary-web: iac deployments"; "$iac" deployments
step "canary-web: iac destroy"; "$iac" destroy -auto-approve -var step_interval=2s

cp -r "$root/examples/quickstart" "$work/quickstart"
cd "$work/quickstart"
step "quickstart (built-in resources only): iac apply -auto-approve"; "$iac" apply -auto-approve
step "quickstart: iac destroy -auto-approve"; "$iac" destroy -auto-approve
