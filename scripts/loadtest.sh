#!/usr/bin/env bash
# Load test on this machine: the emulator (or DYNAMODB_ENDPOINT), the release build of the service,
# and the load tool, which measures hold/get/confirm and, in the same run, the endpoint's own
# capacity for the hold's TransactWriteItems. Usage:
#   [REPLICAS=3] [HOT_EVENT=SEATS] scripts/loadtest.sh [REQUESTS] [CONCURRENCY...]  (default 2000 4 16)
# HOT_EVENT: the on-sale case, every hold on one event for a seat of a pool of SEATS
# (`--hot-event`): the report counts the holds won, the seat conflicts and the throttles.
# One run per concurrency, against the same endpoint and service replicas (each with its
# relay and sweeper; requests go to them in turn). After each run it prints the CPU time the
# replicas used per request.
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
export RATE_LIMIT_PER_USER=0 RATE_LIMIT_GLOBAL=0 RATE_LIMIT_PER_IP=0
stack_serve
for _ in $(seq 2 "${REPLICAS:-1}"); do stack_serve_replica; done

# CPU seconds (user + system) the replicas have used so far.
service_cpu() {
  python3 - $STACK_SERVICE_PIDS <<'PY'
import os, sys
tick = os.sysconf("SC_CLK_TCK")
total = 0
for pid in sys.argv[1:]:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    total += int(fields[11]) + int(fields[12])
print(total / tick)
PY
}

for c in "${LEVELS[@]}"; do
  printf '\n### %s clients, %s replicas (%s CPUs, %s requests per phase)\n\n' \
    "$c" "${REPLICAS:-1}" "$(nproc)" "$REQUESTS"
  before="$(service_cpu)"
  "$TARGET/release/reservation-loadtest" --url "$STACK_URLS" --requests "$REQUESTS" --concurrency "$c" \
    ${HOT_EVENT:+--hot-event "$HOT_EVENT"}
  after="$(service_cpu)"
  # In the hot event only the holds won are read and confirmed: no per-request figure.
  [ -n "${HOT_EVENT:-}" ] && continue
  # Three measured phases go through the service (hold, GET, confirm), plus the warm-up's none.
  python3 -c "import sys; b,a,n=map(float,sys.argv[1:]); print(f'\nservice CPU: {a-b:.1f} s for {3*n:.0f} requests = {1000*(a-b)/(3*n):.2f} ms per request')" "$before" "$after" "$REQUESTS"
done
