#!/usr/bin/env bash
# Runs every test of the workspace. CI runs exactly this (see .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace "$@"
