#!/usr/bin/env bash
# Runs the Reservation API on the open emulator: starts moto (installed from PyPI on first use)
# unless DYNAMODB_ENDPOINT names another endpoint, creates the tables, seeds a demo event, prints
# a dev token and a curl example, and serves. The emulator stops with the service.
set -euo pipefail
cd "$(dirname "$0")/.."
export PORT="${PORT:-8080}"
export APP_ENV="${APP_ENV:-local}"
export AWS_REGION="${AWS_REGION:-us-east-1}"
export LOG_FORMAT="${LOG_FORMAT:-pretty}"

. scripts/lib.sh
BIN="$(target_dir)/release/reservation-service"

if [ -z "${DYNAMODB_ENDPOINT:-}" ]; then
  step "the emulator (moto, installed once from PyPI into $(target_dir)/dynamo-emulator)"
  # It exits with this process, which becomes the service below (exec keeps the pid).
  DYNAMODB_ENDPOINT="$(EMULATOR_PARENT=$$ scripts/emulator.sh start "${EMULATOR_PORT:-0}")"
  export DYNAMODB_ENDPOINT
fi

if [ -x "$BIN" ]; then
  step "building the service (release; only what changed)"
else
  step "building the service (release): the first build compiles every dependency and takes several minutes on a small machine; later runs take seconds"
fi
cargo build --release -p reservation-service

step "tables and a demo event"
"$BIN" create-tables
"$BIN" seed-event --event-id evt_2025_1001 --seats 'A-1..A-50,B-1..B-20,VIP-9-17' --price 25000
TOKEN="$("$BIN" dev-token --sub u123)"
cat <<MSG

Reservation API on http://localhost:$PORT (DynamoDB at $DYNAMODB_ENDPOINT)
A token for user u123 (valid 1 h):

  export TOKEN=$TOKEN

Hold two seats:

  curl -s -X POST http://localhost:$PORT/v1/reservations \\
    -H "Authorization: Bearer \$TOKEN" -H "Idempotency-Key: \$(date +%s%N)" \\
    -H 'Content-Type: application/json' \\
    -d '{"event_id":"evt_2025_1001","qty":2,"seat_ids":["A-12","A-13"],"user_id":"u123","reservation_token":"rtkn_xyz789"}'

Then GET /v1/reservations/{id}, POST /v1/reservations/{id}/confirm {"payment_intent_id":"pay_xyz789"}
or POST /v1/reservations/{id}/cancel. Ctrl-C stops the service and the emulator it started.

MSG
exec "$BIN" serve
