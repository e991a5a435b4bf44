#!/usr/bin/env bash
# API fuzzing: runs schemathesis (installed from PyPI into .venv/ on first use) against the
# service's own OpenAPI document at /v3/api-docs, with a valid token, on DynamoDB Local.
# Fails on any 5xx answer. Usage: scripts/fuzz.sh [MAX_EXAMPLES] (default 60 per operation).
set -euo pipefail
cd "$(dirname "$0")/.."
MAX_EXAMPLES="${1:-60}"

if [ ! -x .venv/bin/st ]; then
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check 'schemathesis>=4.3,<5'
fi

# The same features as the test run, so nothing is rebuilt after it.
cargo build -q --workspace --all-features
. scripts/lib.sh
TARGET="$(target_dir)"
. scripts/stack.sh
stack_start fuzz "$TARGET/debug/reservation-service" "$TARGET/fuzz-service.log"
# The fuzzer sends bursts from one user; the rate limits have their own tests.
export RATE_LIMIT_PER_USER=0 RATE_LIMIT_GLOBAL=0 RATE_LIMIT_PER_IP=0
"$TARGET/debug/reservation-service" seed-event --event-id evt_2025_1001 --seats 'A-1..A-50' --price 25000 >/dev/null
TOKEN="$("$TARGET/debug/reservation-service" dev-token --sub u123)"
stack_serve

.venv/bin/st run "http://127.0.0.1:$PORT/v3/api-docs" \
  --checks not_a_server_error \
  --header "Authorization: Bearer $TOKEN" \
  --generation-database none \
  --max-examples "$MAX_EXAMPLES" \
  --request-timeout 10 \
  --workers 4 \
  --seed 1 \
  --no-color
