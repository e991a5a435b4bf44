#!/usr/bin/env bash
# API fuzzing: runs schemathesis (installed from PyPI into .venv/ on first use) against the
# service's own OpenAPI document at /v3/api-docs, with a valid token, on the emulator.
# Fails on any 5xx answer and on any warning that the fuzzer did not reach the service's logic
# (generated data the service rejects, operations that only ever answered 404).
# Usage: scripts/fuzz.sh [MAX_EXAMPLES] (default 60 per operation).
set -euo pipefail
cd "$(dirname "$0")/.."
MAX_EXAMPLES="${1:-60}"

if [ ! -x .venv/bin/st ]; then
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check 'schemathesis>=4.32,<5'
fi

# The same features as the test run, so nothing is rebuilt after it.
cargo build -q --workspace --all-features
. scripts/lib.sh
TARGET="$(target_dir)"
. scripts/stack.sh
stack_start fuzz "$TARGET/debug/reservation-service" "$TARGET/fuzz-service.log"
# The fuzzer sends bursts from one user, who holds many seats; the rate limits and the cap per
# user have their own tests.
export RATE_LIMIT_PER_USER=0 RATE_LIMIT_GLOBAL=0 RATE_LIMIT_PER_IP=0 MAX_SEATS_PER_USER_PER_EVENT=100000
EVENT=evt_2025_1001 SEATS=1000 USER=u123
"$TARGET/debug/reservation-service" seed-event --event-id "$EVENT" --seats "A-1..A-$SEATS" --price 25000 >/dev/null
TOKEN="$("$TARGET/debug/reservation-service" dev-token --sub "$USER")"
stack_serve

# What the document cannot say: whose token the fuzzer holds and which event and seats exist.
# With them its holds succeed, and its stateful phase follows the document's links from a hold
# to reading, confirming and cancelling it. (Nor can it say that `qty` must be the number of
# `seat_ids`: JSON Schema does not compare a number with a list's length, so the fuzzer's
# mismatches are refused, as they should be.) The examples phase is left out: the coverage
# phase sends each example as it is too, and a seat is held once.
# One worker: with several threads, hypothesis describing a strategy's lambda can hit a CPython
# race in the ast module before 3.11.8 (`SystemError: AST constructor recursion depth mismatch`),
# a crash of the fuzzer, not a finding.
CONFIG="$TARGET/fuzz-schemathesis.toml"
cat >"$CONFIG" <<EOF
[warnings]
fail-on = true

# A key per intended operation, as clients send them (one key for two different requests is
# 409 IDEMPOTENCY_CONFLICT, which the fuzzer's short generated keys would mostly be).
[parameters]
"header.Idempotency-Key" = { dictionary = "keys" }

[[operations]]
include-operation-id = "createReservation"
parameters = { "body.user_id" = "$USER", "body.event_id" = "$EVENT", "body.seat_ids[*]" = { dictionary = "seats" } }

[dictionaries.seats]
values = [$(seq 1 "$SEATS" | sed 's/.*/"A-&"/' | paste -sd,)]

[dictionaries.keys]
values = [$(seq 1 5000 | sed 's/.*/"key-&"/' | paste -sd,)]
EOF

.venv/bin/st --config-file "$CONFIG" run "http://127.0.0.1:$PORT/v3/api-docs" \
  --checks not_a_server_error \
  --header "Authorization: Bearer $TOKEN" \
  --generation-database none \
  --phases coverage,fuzzing,stateful \
  --max-examples "$MAX_EXAMPLES" \
  --request-timeout 10 \
  --workers 1 \
  --seed 1 \
  --no-color
