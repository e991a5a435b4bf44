#!/usr/bin/env bash
# API fuzzing: runs schemathesis (installed from PyPI into .venv/ on first use) against the
# service's own OpenAPI document at /v3/api-docs, with a valid token, on DynamoDB Local.
# Fails on any 5xx answer. Usage: scripts/fuzz.sh [MAX_EXAMPLES] (default 60 per operation).
set -euo pipefail
cd "$(dirname "$0")/.."
MAX_EXAMPLES="${1:-60}"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

if [ ! -x .venv/bin/st ]; then
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check 'schemathesis>=4.3,<5'
fi

DDB_PORT="$(free_port)"
PORT="$(free_port)"
export APP_ENV=local AWS_REGION="${AWS_REGION:-us-east-1}" PORT
export DYNAMODB_ENDPOINT="http://127.0.0.1:$DDB_PORT"
export TABLE_PREFIX="fuzz-$$-"
# The fuzzer sends bursts from one user; the rate limits have their own tests.
export RATE_LIMIT_PER_USER=0 RATE_LIMIT_GLOBAL=0 RUST_LOG="${RUST_LOG:-warn}"

SERVICE_PID=""
cleanup() {
  [ -n "$SERVICE_PID" ] && kill "$SERVICE_PID" 2>/dev/null || true
  scripts/dynamodb-local.sh stop "$DDB_PORT" >/dev/null 2>&1 || true
}
trap cleanup EXIT

scripts/dynamodb-local.sh start "$DDB_PORT"
# The same features as the test run, so nothing is rebuilt after it.
cargo build -q --workspace --all-features
BIN=target/debug/reservation-service
"$BIN" create-tables >/dev/null
"$BIN" seed-event --event-id evt_2025_1001 --seats 'A-1..A-50' >/dev/null
TOKEN="$("$BIN" dev-token --sub u123)"
"$BIN" serve 2>target/fuzz-service.log &
SERVICE_PID=$!

python3 - "$PORT" <<'PY'
import sys, time, urllib.request
for _ in range(150):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/health", timeout=1)
        break
    except Exception:
        time.sleep(0.2)
else:
    sys.exit("the service did not start; see target/fuzz-service.log")
PY

.venv/bin/st run "http://127.0.0.1:$PORT/v3/api-docs" \
  --checks not_a_server_error \
  --header "Authorization: Bearer $TOKEN" \
  --generation-database none \
  --max-examples "$MAX_EXAMPLES" \
  --request-timeout 10 \
  --workers 4 \
  --seed 1 \
  --no-color
