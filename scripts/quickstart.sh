#!/usr/bin/env bash
# Builds iac and runs the quickstart end to end: plan, apply, a no-change plan,
# a change plan, and destroy. Needs only a Rust toolchain.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
cargo build --release --bin iac
iac="${CARGO_TARGET_DIR:-$root/target}/release/iac"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r examples/quickstart/. "$work/"
cd "$work"
step() { printf '\n\033[1m== %s ==\033[0m\n' "$*"; }
step "iac plan";                 "$iac" plan
step "iac apply -auto-approve";  "$iac" apply -auto-approve
step "iac plan (nothing to do)"; "$iac" plan -detailed-exitcode
step "iac plan -var environment=prod (a change)"; "$iac" plan -var environment=prod || true
step "iac destroy -auto-approve"; "$iac" destroy -auto-approve
