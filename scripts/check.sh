#!/usr/bin/env bash
# The inner loop (`make check`): formatting, clippy, then the tests of the crates you touched
# (uncommitted changes and commits not yet on the upstream branch), unit and integration, on the
# emulator (installed on first use; DYNAMODB_ENDPOINT names another endpoint). CRATES="a b"
# names the crates instead. `scripts/test.sh` runs the lints (`--lint`) and then every test.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets --all-features -- -D warnings

[ "${1:-}" = "--lint" ] && exit 0

if [ -z "${CRATES:-}" ]; then
  changed="$( { git diff --name-only HEAD; git ls-files --others --exclude-standard
                git diff --name-only '@{upstream}...HEAD' 2>/dev/null || true; } | sort -u)"
  CRATES=""
  for dir in dynamo-derive dynamo-core reservation-service examples tests; do
    grep -q "^$dir/" <<<"$changed" || continue
    case "$dir" in
      examples) CRATES="$CRATES dynamo-examples" ;;
      tests) CRATES="$CRATES dynamo-tests" ;;
      # The derive's rules are tested by the compile-fail suite and through dynamo-core.
      dynamo-derive) CRATES="$CRATES dynamo-derive dynamo-tests dynamo-core" ;;
      *) CRATES="$CRATES $dir" ;;
    esac
  done
fi

if [ -z "$CRATES" ]; then
  step "nothing changed: unit tests of the workspace"
  cargo test --workspace --all-features --lib --bins
  exit 0
fi
for crate in $(tr ' ' '\n' <<<"$CRATES" | sort -u); do
  step "cargo test -p $crate (on the emulator)"
  cargo test -p "$crate" --all-features
done
