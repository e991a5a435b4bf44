# Sourced by scripts that need a private stack: the emulator and the service on free ports,
# stopped when the script exits. Usage:
#   . scripts/stack.sh
#   stack_start PREFIX BIN LOG      # exports DYNAMODB_ENDPOINT, PORT, TABLE_PREFIX; creates tables
#   stack_serve                     # starts BIN serve in the background and waits for /health
#   stack_serve_replica             # one more replica on another port (STACK_URLS lists all)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

STACK_SERVICE_PIDS=""
STACK_URLS=""
STACK_EMULATOR=""
stack_stop() {
  for pid in $STACK_SERVICE_PIDS; do kill "$pid" 2>/dev/null || true; done
  [ -n "$STACK_EMULATOR" ] && scripts/emulator.sh stop "${STACK_EMULATOR##*:}" >/dev/null 2>&1 || true
}
trap stack_stop EXIT

stack_start() {
  PORT="$(free_port)"
  STACK_BIN="$2"
  STACK_LOG="$3"
  export APP_ENV=local AWS_REGION="${AWS_REGION:-us-east-1}" PORT
  # Another endpoint when DYNAMODB_ENDPOINT names one; the emulator otherwise.
  if [ -z "${DYNAMODB_ENDPOINT:-}" ]; then
    STACK_EMULATOR="$(EMULATOR_PARENT=$$ scripts/emulator.sh start)"
    export DYNAMODB_ENDPOINT="$STACK_EMULATOR"
  fi
  export TABLE_PREFIX="$1-$$-" RUST_LOG="${RUST_LOG:-warn}"
  "$STACK_BIN" create-tables >/dev/null
}

stack_serve() {
  stack_serve_on "$PORT"
}

stack_serve_replica() {
  stack_serve_on "$(free_port)"
}

# Starts a replica on port $1 and waits for its /health.
stack_serve_on() {
  PORT="$1" "$STACK_BIN" serve 2>>"$STACK_LOG" &
  STACK_SERVICE_PIDS="$STACK_SERVICE_PIDS $!"
  STACK_URLS="${STACK_URLS:+$STACK_URLS,}http://127.0.0.1:$1"
  python3 - "$1" "$STACK_LOG" <<'PY'
import sys, time, urllib.request
for _ in range(150):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/health", timeout=1)
        break
    except Exception:
        time.sleep(0.2)
else:
    sys.exit(f"the service did not start; see {sys.argv[2]}")
PY
}
