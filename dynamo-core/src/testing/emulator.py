"""The open DynamoDB emulator for tests: moto's server, one request at a time.

moto's own `moto_server` handles requests on threads without a table lock, so a condition check
and the write it guards can interleave with another request. Here every request runs under one
lock (connections are still accepted and read concurrently, and kept alive): a conditional write
is atomic, as in DynamoDB. TransactWriteItems honours its ClientRequestToken as DynamoDB does,
which moto does not: for ten minutes, the same token with the same request answers as the first
did without applying it again, and with another request is an IdempotentParameterMismatch.
And a transaction keeps a copy of the items it writes to undo a cancellation, where moto copies
every table it touches whole (a cost that grows with the table: seconds per transaction on a
table of a few thousand items), and moto's search for the service a request is for is done once.

    python emulator.py [--host 127.0.0.1] [--port 0] [--port-file PATH] [--parent PID]

--port 0 lets the kernel choose a free port; the port listened on is written to --port-file
(atomically, once listening) and printed. With --parent, the server exits once that process is
gone, so a test run that dies leaves nothing behind.

Signals: SIGUSR1 takes the server down (the listening socket and every open connection are
closed: clients see connections refused) with its data kept; SIGUSR2 brings it back on the same
port. SIGTERM and SIGINT stop it.
"""

import argparse
import copy
import hashlib
import io
import json
import logging
import os
import signal
import socket
import sys
import threading
import time

import moto.backends as moto_backends
import moto.dynamodb.models as dynamodb_models
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

LOCK = threading.Lock()
CONNECTIONS = set()
CONNECTIONS_LOCK = threading.Lock()


class Handler(MotoRequestHandler):
    """Remembers its connection, so that going down closes it."""

    def setup(self):
        super().setup()
        with CONNECTIONS_LOCK:
            CONNECTIONS.add(self.connection)

    def finish(self):
        with CONNECTIONS_LOCK:
            CONNECTIONS.discard(self.connection)
        super().finish()

    def log_request(self, *args, **kwargs):
        pass


# ClientRequestToken -> (when, the request's digest, the answer), for TOKEN_SECONDS.
TOKENS = {}
TOKEN_SECONDS = 600


def serialised(app):
    """`app` with every request handled under LOCK, its response read whole inside it."""

    def run(environ):
        captured = []

        def capture(status, headers, exc_info=None):
            captured.append((status, headers))
            return lambda data: None

        body = b"".join(app(environ, capture))
        status, headers = captured[0]
        return status, headers, body

    def call(environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        request = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(request)
        token = transaction_token(environ, request)
        with LOCK:
            if token is None:
                answer = run(environ)
            else:
                answer = idempotent(token, request, lambda: run(environ))
        status, headers, body = answer
        start_response(status, headers)
        return [body]

    return call


def transaction_token(environ, request):
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if not target.endswith(".TransactWriteItems") or b"ClientRequestToken" not in request:
        return None
    try:
        return json.loads(request).get("ClientRequestToken")
    except ValueError:
        return None


def idempotent(token, request, run):
    now = time.monotonic()
    for old in [t for t, (when, _, _) in TOKENS.items() if now - when > TOKEN_SECONDS]:
        del TOKENS[old]
    parsed = json.loads(request)
    parsed.pop("ClientRequestToken", None)
    digest = hashlib.sha256(json.dumps(parsed, sort_keys=True).encode()).hexdigest()
    if token in TOKENS:
        _, seen, answer = TOKENS[token]
        if seen == digest:
            return answer
        body = json.dumps(
            {
                "__type": "com.amazonaws.dynamodb.v20120810#IdempotentParameterMismatchException",
                "message": "The request uses the same client token as a previous, but non-identical request.",
            }
        ).encode()
        return "400 Bad Request", [("Content-Type", "application/x-amz-json-1.0")], body
    answer = run()
    if answer[0].startswith("200"):
        TOKENS[token] = (now, digest, answer)
    return answer


class TablesByReference:
    """moto's `copy` module for its backend, less its whole-table copies in transactions."""

    def __getattr__(self, name):
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value, memo=None):
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)


def undo_by_item(transact_write_items):
    """`transact_write_items` that copies the items a transaction writes, and puts them back
    when it is canceled, instead of copying (and putting back) each table whole."""

    def transact(backend, transact_items):
        saved = []
        for entry in transact_items:
            for action in entry.values():
                table = backend.tables.get(action.get("TableName"))
                key = action.get("Key") or action.get("Item") or {}
                if table is None or table.hash_key_attr not in key:
                    continue
                if table.range_key_attr is not None and table.range_key_attr not in key:
                    continue
                hash_key = DynamoType(key[table.hash_key_attr])
                range_key = (
                    DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
                )
                item = table.get_item(hash_key, range_key)
                saved.append((table, hash_key, range_key, copy.deepcopy(item)))
        try:
            return transact_write_items(backend, transact_items)
        except Exception:
            for table, hash_key, range_key, item in reversed(saved):
                if range_key is None:
                    if item is None:
                        table.items.pop(hash_key, None)
                    else:
                        table.items[hash_key] = item
                elif item is None:
                    table.items.get(hash_key, {}).pop(range_key, None)
                else:
                    table.items[hash_key][range_key] = item
            raise

    return transact


def patch_moto():
    # moto lists its own package's folders on every request to find the service a host names.
    modules = tuple(moto_backends.list_of_moto_modules())
    moto_backends.list_of_moto_modules = lambda: modules
    dynamodb_models.copy = TablesByReference()
    backend = dynamodb_models.DynamoDBBackend
    backend.transact_write_items = undo_by_item(backend.transact_write_items)


class Server:
    def __init__(self, host, port):
        self.host = host
        self.port = port
        self.app = serialised(DomainDispatcherApplication(create_backend_app))
        self.server = None
        self.thread = None
        self.changes = threading.Lock()

    def up(self):
        with self.changes:
            if self.server is not None:
                return
            for attempt in range(100):
                try:
                    self.server = make_server(
                        self.host,
                        self.port,
                        self.app,
                        threaded=True,
                        request_handler=Handler,
                    )
                    break
                except OSError:
                    # Coming back on a port whose old connections are still closing.
                    if self.port == 0 or attempt == 99:
                        raise
                    time.sleep(0.05)
            self.port = self.server.server_port
            self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
            self.thread.start()

    def down(self):
        with self.changes:
            if self.server is None:
                return
            self.server.shutdown()
            self.server.server_close()
            with CONNECTIONS_LOCK:
                for connection in list(CONNECTIONS):
                    try:
                        connection.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
            self.server = None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file")
    parser.add_argument("--parent", type=int)
    args = parser.parse_args()

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    patch_moto()
    server = Server(args.host, args.port)
    server.up()

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGUSR1, lambda *_: threading.Thread(target=server.down).start())
    signal.signal(signal.SIGUSR2, lambda *_: threading.Thread(target=server.up).start())

    if args.port_file:
        partial = f"{args.port_file}.{os.getpid()}"
        with open(partial, "w") as f:
            f.write(f"{server.port}\n")
        os.replace(partial, args.port_file)
    print(f"moto listening on http://{args.host}:{server.port}", flush=True)

    while not stop.wait(0.5):
        if args.parent is not None and not alive(args.parent):
            break
    server.down()
    sys.exit(0)


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


if __name__ == "__main__":
    main()
