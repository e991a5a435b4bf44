#!/usr/bin/env bash
# Runs every check and test of the workspace: formatting, clippy, unit, integration,
# compile-fail (trybuild) and doc tests, then API fuzzing with schemathesis. Installs what the
# tests need on first use.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "DynamoDB Local (installed once into .dynamodb-local/)"
scripts/dynamodb-local.sh install
# Test binaries start their own DynamoDB Local on a free port from this install.
export DYNAMODB_LOCAL_HOME="$PWD/.dynamodb-local"
unset DYNAMODB_ENDPOINT

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets --all-features -- -D warnings

step "cargo test (unit, integration, compile-fail, doc)"
cargo test --workspace --all-features

step "API fuzzing: schemathesis against /v3/api-docs (no 5xx)"
scripts/fuzz.sh
