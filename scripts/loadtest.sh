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

cargo build -q --release -p reservation-service
. scripts/lib.sh
TARGET="$(target_dir)"
BIN="$TARGET/release/reservation-service"
. scripts/stack.sh
stack_start load "$BIN" "$TARGET/loadtest-service.log"
# Capacity is measured, not the limits (each replica allows 2000/s by default).
export RATE_LIMIT_PER_USER=0 RATE_LIMIT_GLOBAL=0
stack_serve
for c in "${LEVELS[@]}"; do
  printf '\n### %s clients (%s CPUs, %s requests per phase)\n\n' "$c" "$(nproc)" "$REQUESTS"
  "$TARGET/release/reservation-loadtest" --url "http://127.0.0.1:$PORT" --requests "$REQUESTS" --concurrency "$c"
done
