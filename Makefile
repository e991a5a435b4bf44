.PHONY: run test check bench

## Runs the Reservation API on DynamoDB Local (installed and started on first use).
run:
	./scripts/run.sh

## Runs every check and test, as CI does (installs DynamoDB Local, the MSRV toolchain and
## schemathesis on first use).
test:
	./scripts/test.sh

## The quick tier, without Java: formatting, clippy, unit tests, the compile-fail suite.
check:
	./scripts/check.sh

## Criterion benchmarks.
bench:
	cargo bench -p dynamo-core
