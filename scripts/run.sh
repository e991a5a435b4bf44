#!/usr/bin/env bash
# Runs the Reservation API on DynamoDB Local: starts DynamoDB Local (installed on first use),
# creates the tables, seeds a demo event, prints a dev token and a curl example, and serves.
set -euo pipefail
cd "$(dirname "$0")/.."
DDB_PORT="${DYNAMODB_LOCAL_PORT:-8000}"
export PORT="${PORT:-8080}"
export APP_ENV="${APP_ENV:-local}"
export AWS_REGION="${AWS_REGION:-us-east-1}"
export DYNAMODB_ENDPOINT="${DYNAMODB_ENDPOINT:-http://127.0.0.1:$DDB_PORT}"
export LOG_FORMAT="${LOG_FORMAT:-pretty}"

. scripts/lib.sh
BIN="$(target_dir)/release/reservation-service"

step "DynamoDB Local on port $DDB_PORT (installed once into .dynamodb-local/)"
scripts/dynamodb-local.sh start "$DDB_PORT"

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

Reservation API on http://localhost:$PORT (DynamoDB Local at $DYNAMODB_ENDPOINT)
A token for user u123 (valid 1 h):

  export TOKEN=$TOKEN

Hold two seats:

  curl -s -X POST http://localhost:$PORT/v1/reservations \\
    -H "Authorization: Bearer \$TOKEN" -H "Idempotency-Key: \$(date +%s%N)" \\
    -H 'Content-Type: application/json' \\
    -d '{"event_id":"evt_2025_1001","qty":2,"seat_ids":["A-12","A-13"],"user_id":"u123","reservation_token":"rtkn_xyz789"}'

Then GET /v1/reservations/{id}, POST /v1/reservations/{id}/confirm {"payment_intent_id":"pay_xyz789"}
or POST /v1/reservations/{id}/cancel. Ctrl-C stops the service (DynamoDB Local keeps running:
scripts/dynamodb-local.sh stop $DDB_PORT).

MSG
exec "$BIN" serve
