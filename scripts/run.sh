#!/usr/bin/env bash
# Starts DynamoDB Local (installed on first use) and runs the quickstart example against it.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${DYNAMODB_LOCAL_PORT:-8000}"
scripts/dynamodb-local.sh start "$PORT"
export DYNAMODB_ENDPOINT="${DYNAMODB_ENDPOINT:-http://127.0.0.1:$PORT}"
export AWS_REGION="${AWS_REGION:-us-east-1}"
cargo run -q -p dynamo-core --example quickstart
