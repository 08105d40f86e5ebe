#!/usr/bin/env bash
# Runs the same steps as the workflows in .github/workflows/, against the local
# AWS emulator (moto) with the S3 backend, so the flow is tested on this machine:
#   pull request: init, plan -out -markdown (the comment), check the comment;
#   merge to main: apply -auto-approve, a second run finds nothing to do;
#   schedule: drift (exit 0), then a change made outside iac (exit 2).
# IAC names the binary (default: build it with cargo).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
if [ -z "${IAC:-}" ]; then
  cargo build --quiet --manifest-path "$root/Cargo.toml" --bin iac
  IAC="${CARGO_TARGET_DIR:-$root/target}/debug/iac"
fi
step() { printf '\n== %s ==\n' "$*"; }

if [ -z "${AWS_ENDPOINT_URL:-}" ]; then
  eval "$("$root/scripts/moto.sh")"
  trap 'kill "$MOTO_PID" 2>/dev/null || true' EXIT
fi
export NO_COLOR=1
bucket="iac-state-$$"
curl -fsS -X PUT "$AWS_ENDPOINT_URL/$bucket" >/dev/null

work="$(mktemp -d)"
trap 'kill "${MOTO_PID:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
cp "$here/main.tf" "$work/"
cd "$work"

step "pull request: iac init -backend-config=bucket=$bucket"
"$IAC" init -backend-config=bucket="$bucket"

step "pull request: iac plan -out=plan.bin -markdown=comment.md -detailed-exitcode"
set +e
"$IAC" plan -input=false -lock-timeout=5m -out=plan.bin -markdown=comment.md -detailed-exitcode
code=$?
set -e
[ "$code" -eq 2 ] || { echo "expected exit 2 (changes), got $code"; exit 1; }
grep -q '^\*\*Plan: 3 to add, 0 to change, 0 to destroy.\*\*$' comment.md
echo "comment.md: $(wc -c < comment.md) characters"

step "main: iac apply -auto-approve"
"$IAC" apply -auto-approve -input=false -lock-timeout=10m

step "main again: nothing to do"
"$IAC" plan -input=false -detailed-exitcode

step "schedule: iac drift (no drift)"
"$IAC" drift -input=false -markdown=drift.md

step "someone deletes a subnet by hand; iac drift exits 2"
subnet="$("$IAC" output -json subnet_ids | python3 -c 'import json,sys; print(json.load(sys.stdin)[0])')"
# boto3 comes with moto, in the venv scripts/moto.sh made.
"$root/.tools/moto-5.2.5/bin/python" -c 'import boto3, os, sys
boto3.client("ec2", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name=os.environ.get("AWS_REGION", "us-east-1")).delete_subnet(SubnetId=sys.argv[1])' "$subnet"
set +e
"$IAC" drift -input=false -markdown=drift.md
code=$?
set -e
[ "$code" -eq 2 ] || { echo "expected exit 2 (drift), got $code"; exit 1; }
grep -q 'Drifted (1)' drift.md

step "the state is in the bucket"
curl -fsS "$AWS_ENDPOINT_URL/$bucket?list-type=2" | grep -o '<Key>[^<]*</Key>'
echo
echo "CI flow passed."
