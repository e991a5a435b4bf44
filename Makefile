.PHONY: run test bench

## Runs the example against DynamoDB Local (installed and started on first use).
run:
	./scripts/run.sh

## Runs every check and test (installs DynamoDB Local on first use).
test:
	./scripts/test.sh

## Criterion benchmarks.
bench:
	cargo bench -p dynamo-core
