.PHONY: run test check bench

# Builds share one target directory outside the clone, so a second clone on this machine
# reuses what the first compiled (the emulator's Python environment lives there too). Set
# CARGO_TARGET_DIR to build elsewhere.
export CARGO_TARGET_DIR ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/dynamo/target

## Runs the Reservation API on the open emulator (moto, installed from PyPI on first use).
run:
	./scripts/run.sh

## Runs every check and test, as CI does (installs the emulator, the MSRV toolchain,
## cargo-hack, cargo-deny, cfn-lint, checkov and schemathesis on first use).
test:
	./scripts/test.sh

## The inner loop: formatting, clippy, then the tests of the crates changed since main
## (unit and integration, on the emulator); CRATES="a b" names them instead.
check:
	./scripts/check.sh

## Criterion benchmarks.
bench:
	cargo bench -p dynamo-core
