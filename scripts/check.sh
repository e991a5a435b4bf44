#!/usr/bin/env bash
# The quick tier, without Java or network services: formatting, clippy, unit tests and the
# compile-fail suite. `scripts/test.sh` runs the lints (`--lint`) and then every test.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets --all-features -- -D warnings

[ "${1:-}" = "--lint" ] && exit 0

step "unit tests"
cargo test --workspace --all-features --lib --bins

step "compile-fail suite"
cargo test -p dynamo-tests --all-features --test compile_fail
