#!/usr/bin/env bash
# Everything CI runs (.ci/run is `make test`): formatting and clippy (scripts/check.sh), every
# test (unit, compile-fail, integration on the emulator, doc tests, the docs' code, generated
# files), the examples, the documentation build, every feature of dynamo-core alone, the
# published crates with their declared MSRV and lowest declared dependency versions, packaging
# of the published crates, cfn-lint on the exported CloudFormation, the supply-chain checks
# (cargo-deny, checkov) and API fuzzing. Installs what it needs on first use (the emulator, moto,
# from PyPI, cargo-hack and cargo-deny from crates.io, the nightly and MSRV toolchains with rustup,
# cfn-lint, checkov and schemathesis from PyPI).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

started=$SECONDS

# A run from a fresh clone gains nothing from incremental compilation, and its caches would be
# the largest part of the target directory (CI's disk is small).
export CARGO_INCREMENTAL=0

step "the emulator: moto from PyPI (installed once into $(target_dir)/dynamo-emulator)"
scripts/emulator.sh install
# Test binaries start their own emulator on a port of their own from this install, unless
# DYNAMODB_ENDPOINT names another endpoint (docs/testing.md).

scripts/check.sh --lint

step "dynamo-core: every feature builds alone (cargo hack --each-feature)"
command -v cargo-hack >/dev/null || cargo install cargo-hack --locked --version '^0.6'
cargo hack check -p dynamo-core --each-feature --no-dev-deps

step "cargo test: unit, compile-fail, integration (on the emulator), doc tests, docs, generated files"
cargo test --workspace --all-features

step "load tests, by name and alone (thousands of concurrent requests; never oversell)"
cargo test -p reservation-service --all-features --test api -- --ignored load:: --test-threads=1

step "examples on the emulator"
endpoint="${DYNAMODB_ENDPOINT:-$(EMULATOR_PARENT=$$ scripts/emulator.sh start)}"
for example in quickstart single-table transactions check-schema library accounts migrations; do
  printf -- '--- %s\n' "$example"
  DYNAMODB_ENDPOINT="$endpoint" AWS_REGION="${AWS_REGION:-us-east-1}" \
    cargo run -q -p dynamo-examples --all-features --example "$example"
done
[ -n "${DYNAMODB_ENDPOINT:-}" ] || scripts/emulator.sh stop "${endpoint##*:}"

step "cargo doc (warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --all-features --no-deps

step "cargo package: dynamo-derive and dynamo-core build from their packages"
# Cargo verifies dynamo-core against the dynamo-derive it just packaged, through a temporary
# registry. It treats registry crates as immutable: it keeps their extracted sources under
# CARGO_HOME and their build in the target directory, so an earlier run's dynamo-derive would
# be used instead of this one. Both go first.
rm -rf "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/dynamo-derive-* \
       "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/dynamo-core-*
cargo clean -p dynamo-derive
cargo package -p dynamo-derive -p dynamo-core --allow-dirty
# The packages and their verification build are not needed again.
rm -rf "$(target_dir)/package"

msrv="$(sed -n 's/^rust-version = "\(.*\)"/\1/p' Cargo.toml)"
step "MSRV $msrv and minimal versions: dynamo-derive and dynamo-core with the oldest compiler and dependency versions they declare"
# What users compile: the published crates, with `cargo +$msrv` and their direct dependencies
# at the lowest versions Cargo.toml allows (theirs at the highest). In a copy of the workspace,
# so this checkout's Cargo.lock stays as it is. The service, the examples and the tests are
# built with the stable toolchain only (the Dockerfile pins it), and declare no rust-version.
rustup toolchain install nightly --profile minimal --no-self-update
rustup toolchain install "$msrv" --profile minimal --no-self-update
minimal="$(mktemp -d)"
minimal_target="$(target_dir)/minimal-versions"
git ls-files -z | xargs -0 tar -cf - | tar -xf - -C "$minimal"
(
  cd "$minimal"
  cargo +nightly update -Z direct-minimal-versions
  CARGO_TARGET_DIR="$minimal_target" cargo "+$msrv" check -p dynamo-derive -p dynamo-core --all-features
)
rm -rf "$minimal" "$minimal_target"

step "cfn-lint: the exported CloudFormation (the service's tables, capacity and streams)"
# Installed from PyPI into .venv/ on first use, as schemathesis is.
[ -x .venv/bin/pip ] || python3 -m venv .venv
[ -x .venv/bin/cfn-lint ] || .venv/bin/pip install --quiet --disable-pip-version-check 'cfn-lint>=1.20,<2'
.venv/bin/cfn-lint deploy/cloudformation/tables.yaml dynamo-core/tests/fixtures/cloudformation/capacity.yaml

step "supply chain: cargo-deny (licenses, bans, sources) and checkov (deploy/, the exported CloudFormation, the Dockerfile)"
# The advisory database cannot be fetched here (deny.toml says why and what to run where it
# can). checkov gets a virtualenv of its own: it pins versions the fuzzer's packages do not
# share. Their exceptions, each with its reason: deny.toml and deploy/checkov.yaml.
# A debug build of cargo-deny: it compiles in a third of the time and checks in seconds.
command -v cargo-deny >/dev/null || cargo install cargo-deny --locked --version '^0.20' --debug
cargo deny --all-features check --hide-inclusion-graph licenses bans sources
[ -x .venv-checkov/bin/checkov ] || python3 -m venv .venv-checkov
[ -x .venv-checkov/bin/checkov ] || .venv-checkov/bin/pip install --quiet --disable-pip-version-check 'checkov>=3.2,<4'
.venv-checkov/bin/checkov --config-file deploy/checkov.yaml -d deploy --framework kubernetes cloudformation
.venv-checkov/bin/checkov --config-file deploy/checkov.yaml -f Dockerfile --framework dockerfile

step "API fuzzing: schemathesis against /v3/api-docs (no 5xx, no warning)"
scripts/fuzz.sh

step "all checks passed in $(( (SECONDS - started) / 60 )) min $(( (SECONDS - started) % 60 )) s"
printf 'target directory: %s; free: %s\n' "$(du -sh "$(target_dir)" | cut -f1)" "$(df -h . | awk 'NR==2 {print $4}')"
