"""The HTTP side of the exchange stand-ins (Bitfinex, Gemini): a loopback HTTP/1.1 server in
a background thread that hands each request to the stand-in's rules and sends back the
JSON they answer. Keep-alive, as the clients' sessions use it; stopping wakes idle
connections so that every handler thread is joined."""

from __future__ import annotations

import json
import random
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, Optional, Set, Tuple

Answer = Callable[[str, str, Dict[str, str], bytes], Tuple[int, Any]]
"""(method, path, headers with lower-case names, body) -> (HTTP status, JSON payload)."""

# Bodies are read by Content-Length only; this bounds what one request may send.
MAX_BODY_BYTES = 1 << 20
# Idle keep-alive connections give up after this long, so no handler thread lingers.
CONNECTION_TIMEOUT_S = 30.0


class _Server(ThreadingHTTPServer):
    # Handler threads that server_close() joins: a stand-in stops cleanly.
    daemon_threads = False
    block_on_close = True

    def __init__(self, owner: "StandInServer") -> None:
        self.owner = owner
        super().__init__(("127.0.0.1", 0), _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = CONNECTION_TIMEOUT_S
    # Head and body in one send, without Nagle's delay: a keep-alive client never waits for
    # a delayed ACK.
    wbufsize = -1
    disable_nagle_algorithm = True
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.owner._opened(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.owner._closed(self.connection)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # test output stays readable

    def _handle(self) -> None:
        length = self.headers.get("Content-Length", "0").strip() or "0"
        if not length.isascii() or not length.isdigit() or int(length) > MAX_BODY_BYTES:
            self.close_connection = True
            self._send(400, {"error": "a Content-Length of at most 1 MiB is required"})
            return
        body = self.rfile.read(int(length)) if int(length) else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        self.server.owner.travel()
        status, payload = self.server.owner.answer(self.command, self.path, headers, body)
        self._send(status, payload)

    def _send(self, status: int, payload: Any) -> None:
        data = json.dumps(payload, separators=(",", ":")).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = _handle


class StandInServer:
    """Serves `answer` on 127.0.0.1 until stopped; `url` is its base URL once started.

    `arrival_jitter_s`: each request waits up to that long (uniformly at random) before it
    is answered, as on a network, so that requests sent close together by different
    processes may arrive in another order than they were signed."""

    def __init__(self, answer: Answer, name: str, arrival_jitter_s: float = 0.0) -> None:
        self.answer = answer
        self._arrival_jitter_s = arrival_jitter_s
        self._name = name
        self._server: Optional[_Server] = None
        self._thread: Optional[threading.Thread] = None
        self._connections: Set[socket.socket] = set()
        self._connections_guard = threading.Lock()
        self._stopping = False
        self.url = ""

    def travel(self) -> None:
        if self._arrival_jitter_s > 0:
            time.sleep(random.uniform(0.0, self._arrival_jitter_s))

    def start(self) -> None:
        self._server = _Server(self)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=self._name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        server.shutdown()
        with self._connections_guard:
            self._stopping = True
            idle = list(self._connections)
        for connection in idle:  # handlers blocked reading the next request
            _wake(connection)
        server.server_close()
        if thread is not None:
            thread.join()
        self._server = self._thread = None

    def _opened(self, connection: socket.socket) -> None:
        with self._connections_guard:
            self._connections.add(connection)
            stopping = self._stopping
        if stopping:  # accepted just before stop(): do not wait for its timeout
            _wake(connection)

    def _closed(self, connection: socket.socket) -> None:
        with self._connections_guard:
            self._connections.discard(connection)


def _wake(connection: socket.socket) -> None:
    try:
        connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
