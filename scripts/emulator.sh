#!/usr/bin/env bash
# The open emulator: moto's DynamoDB (Apache-2.0, from PyPI), served one request at a time by
# dynamo-core/src/testing/emulator.py. The same install the Rust test harness uses
# (dynamo_core::testing): one Python environment per pinned set of versions, in the cargo target
# directory (or DYNAMO_EMULATOR_HOME).
#
#   scripts/emulator.sh install              install once (python3 and PyPI needed)
#   scripts/emulator.sh start [PORT]         start on PORT (default: a free one) in the background,
#                                            wait until it listens, print its endpoint
#   scripts/emulator.sh stop PORT            stop the one this script started on PORT
#   scripts/emulator.sh serve [ARGS...]      run in the foreground (emulator.py's arguments)
#
# A started emulator also exits when the process given in EMULATOR_PARENT is gone.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
REQUIREMENTS="$ROOT/dynamo-core/src/testing/moto.txt"
LAUNCHER="$ROOT/dynamo-core/src/testing/emulator.py"

die() { echo "emulator: $*" >&2; exit 1; }

home() {
  if [ -n "${DYNAMO_EMULATOR_HOME:-}" ]; then
    echo "$DYNAMO_EMULATOR_HOME"
  else
    . "$ROOT/scripts/lib.sh"
    echo "$(target_dir)/dynamo-emulator"
  fi
}

# The environment's folder, named as the Rust harness names it (FNV-1a of the requirements).
venv() {
  python3 - "$REQUIREMENTS" "$(home)" <<'PY'
import sys
h = 0xcbf29ce484222325
for b in open(sys.argv[1], "rb").read():
    h = ((h ^ b) * 0x100000001b3) % 2**64
print(f"{sys.argv[2]}/moto-{h:016x}")
PY
}

install() {
  command -v python3 >/dev/null 2>&1 || die "python3 not found: install Python 3.9 or newer"
  local dir
  dir="$(venv)"
  if [ ! -f "$dir/installed" ]; then
    echo "emulator: installing moto from PyPI into $dir" >&2
    mkdir -p "$(dirname "$dir")"
    local partial="$dir.partial-$$"
    rm -rf "$partial"
    python3 -m venv "$partial" || die "python3 -m venv failed (on Debian: apt-get install python3-venv)"
    "$partial/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQUIREMENTS" \
      || { rm -rf "$partial"; die "pip install of moto failed"; }
    cp "$REQUIREMENTS" "$partial/installed"
    mv -T "$partial" "$dir" 2>/dev/null || rm -rf "$partial"
  fi
  cmp -s "$LAUNCHER" "$dir/emulator.py" || cp "$LAUNCHER" "$dir/emulator.py"
  echo "$dir"
}

start() {
  local dir port_file pid port
  dir="$(install)"
  port_file="$(mktemp)"
  rm -f "$port_file"
  "$dir/bin/python" "$dir/emulator.py" --port "${1:-0}" --port-file "$port_file" \
    ${EMULATOR_PARENT:+--parent "$EMULATOR_PARENT"} >"$port_file.log" 2>&1 </dev/null &
  pid=$!
  for _ in $(seq 1 300); do
    if [ -s "$port_file" ]; then
      port="$(cat "$port_file")"
      rm -f "$port_file"
      echo "$pid" >"$(pid_file "$port")"
      echo "http://127.0.0.1:$port"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || { cat "$port_file.log" >&2; die "the emulator exited during start-up"; }
    sleep 0.1
  done
  kill "$pid" 2>/dev/null || true
  die "the emulator did not listen within 30 s (log: $port_file.log)"
}

pid_file() { echo "${TMPDIR:-/tmp}/dynamo-emulator-$1.pid"; }

stop() {
  local file
  file="$(pid_file "${1:?usage: $0 stop PORT}")"
  [ -f "$file" ] || return 0
  kill "$(cat "$file")" 2>/dev/null || true
  rm -f "$file"
}

case "${1:-}" in
  install) install >/dev/null ;;
  start) start "${2:-0}" ;;
  stop) stop "${2:-}" ;;
  serve) shift; dir="$(install)"; exec "$dir/bin/python" "$dir/emulator.py" "$@" ;;
  *) echo "usage: $0 install|start [PORT]|stop PORT|serve [ARGS...]" >&2; exit 2 ;;
esac
