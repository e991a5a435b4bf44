#!/usr/bin/env bash
# Load test on this machine: DynamoDB Local (in memory), the release build of the service, and
# the load tool, which measures hold/get/confirm and, in the same run, DynamoDB Local's own
# capacity for the hold's TransactWriteItems. Usage:
#   scripts/loadtest.sh [REQUESTS] [CONCURRENCY...]      (default 2000 4 16)
# One run per concurrency, against the same DynamoDB Local and service.
set -euo pipefail
cd "$(dirname "$0")/.."
REQUESTS="${1:-2000}"
shift || true
LEVELS=("$@")
[ ${#LEVELS[@]} -eq 0 ] && LEVELS=(4 16)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
DDB_PORT="$(free_port)"
PORT="$(free_port)"
export APP_ENV=local AWS_REGION="${AWS_REGION:-us-east-1}" PORT
export DYNAMODB_ENDPOINT="http://127.0.0.1:$DDB_PORT"
export TABLE_PREFIX="load-$$-" RUST_LOG="${RUST_LOG:-warn}"
# Capacity is measured, not the limits (each replica allows 2000/s by default).
export RATE_LIMIT_PER_USER=0 RATE_LIMIT_GLOBAL=0

SERVICE_PID=""
cleanup() {
  [ -n "$SERVICE_PID" ] && kill "$SERVICE_PID" 2>/dev/null || true
  scripts/dynamodb-local.sh stop "$DDB_PORT" >/dev/null 2>&1 || true
}
trap cleanup EXIT

scripts/dynamodb-local.sh start "$DDB_PORT"
cargo build -q --release -p reservation-service
BIN=target/release/reservation-service
"$BIN" create-tables >/dev/null
"$BIN" serve 2>target/loadtest-service.log &
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
    sys.exit("the service did not start; see target/loadtest-service.log")
PY
for c in "${LEVELS[@]}"; do
  printf '\n### %s clients (%s CPUs, %s requests per phase)\n\n' "$c" "$(nproc)" "$REQUESTS"
  "$BIN" loadtest --url "http://127.0.0.1:$PORT" --requests "$REQUESTS" --concurrency "$c"
done
