#!/usr/bin/env bash
# Runs every check and test of the workspace: formatting, clippy, unit, integration,
# compile-fail (trybuild) and doc tests. Installs what the tests need on first use.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets --all-features -- -D warnings

step "cargo test (unit, integration, compile-fail, doc)"
cargo test --workspace --all-features
