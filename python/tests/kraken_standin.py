"""A local stand-in for Kraken's private REST API that enforces the exchange's rules.

Tests run real clients (ccxt, python-kraken-sdk; sync and asyncio) in several
processes against it on loopback, so a lost or reordered nonce shows up as the
same ``EAPI:Invalid nonce`` the real exchange would send, without a network or
an account.

For every ``POST /0/private/<Method>`` it checks, in this order and under one
lock (so that the checks and the state updates of a key are atomic and happen
in arrival order):

1. ``API-Key`` names a known key, else ``EAPI:Invalid key``.
2. ``API-Sign`` is base64(HMAC-SHA512(base64-decoded secret,
   URI path + SHA-256(nonce + raw POST body))), else ``EAPI:Invalid signature``.
3. The nonce is strictly greater than the key's last accepted nonce (or, with
   ``nonce_window=N``, at most N below it and never seen), else
   ``EAPI:Invalid nonce``. A rejected nonce leaves the last accepted one as it was.
4. With a ``tier=(maximum, decay_per_second)``, the key's call counter (decaying
   continuously, never below 0) plus the call's cost (2 for Ledgers,
   QueryLedgers, TradesHistory and QueryTrades, 1 otherwise) must not exceed the
   maximum, else ``EAPI:Rate limit exceeded`` and the cost is not added.

Simplifications, chosen and documented rather than guessed from Kraken:

- Calls refused at steps 1-3 cost nothing on the counter.
- A call that passes step 3 consumes its nonce even when step 4 then refuses
  it: the nonce was valid, and a client must sign a retry with a new one.
- Every private method costs 1 or 2, trading calls included (Kraken counts
  AddOrder/CancelOrder on a separate limiter; these tests do not need that).
- A nonce must be ASCII decimal digits and fit an unsigned 64-bit integer.
- A body whose Content-Type is not JSON is parsed as form-urlencoded.

API errors answer HTTP 200 with ``{"error": [...], "result": {}}``, as Kraken
does; paths that are not part of the API answer 404.

Script use (for tests that need the exchange in a separate process)::

    python kraken_standin.py --key KEY --secret SECRET [--key K2 --secret S2]
        [--tier MAX DECAY] [--nonce-window N] --port-file PATH [--summary PATH]

It writes its URL to PATH once listening, runs until SIGTERM (or SIGINT),
then writes ``summary()`` as JSON to ``--summary`` and exits 0.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import os
import random
import re
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

# Kraken's error strings, exactly as the clients match them.
ERR_KEY = "EAPI:Invalid key"
ERR_SIGNATURE = "EAPI:Invalid signature"
ERR_NONCE = "EAPI:Invalid nonce"
ERR_RATE = "EAPI:Rate limit exceeded"

# History calls weigh twice as much on Kraken's REST counter.
DOUBLE_COST_METHODS = frozenset({"Ledgers", "QueryLedgers", "TradesHistory", "QueryTrades"})

# Floating decay must not refuse a call that lands exactly on the maximum.
RATE_TOLERANCE = 1e-9

# Bodies are read by Content-Length only; this bounds what one request may send.
MAX_BODY_BYTES = 1 << 20

# Idle keep-alive connections give up after this long, so no handler thread lingers.
CONNECTION_TIMEOUT_S = 30.0

_U64_MAX = (1 << 64) - 1
_DIGITS = re.compile(r"[0-9]+")
_METHOD = re.compile(r"[A-Za-z][A-Za-z0-9]*")


def kraken_signature(uri_path: str, nonce: str, body: str, secret_b64: str) -> str:
    """Kraken's API-Sign for one private call.

    base64(HMAC-SHA512(key=base64-decoded secret,
                       msg=uri_path bytes + SHA-256(nonce + body).digest()))
    """
    return _signature_bytes(
        uri_path.encode("utf-8"),
        nonce.encode("ascii"),
        body.encode("utf-8"),
        base64.b64decode(secret_b64),
    ).decode("ascii")


def _signature_bytes(uri_path: bytes, nonce: bytes, body: bytes, secret: bytes) -> bytes:
    # The server signs the raw bytes it received, so no decode can alter them.
    digest = hashlib.sha256(nonce + body).digest()
    return base64.b64encode(hmac.new(secret, uri_path + digest, hashlib.sha512).digest())


def method_cost(method: str) -> int:
    """What one call of ``method`` adds to the key's counter."""
    return 2 if method in DOUBLE_COST_METHODS else 1


@dataclass(frozen=True)
class CallRecord:
    """One private call as the stand-in judged it."""

    key: str
    method: str
    nonce: int | None  # None when the body carried no valid nonce
    accepted: bool
    error: str | None
    arrived_ns: int
    counter_after: float | None  # None for an unknown key or without a tier
    content_type: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _KeyState:
    secret: bytes
    last_nonce: int | None = None
    # Nonces accepted within the window below last_nonce; only used with a window.
    seen: set[int] = field(default_factory=set)
    counter: float = 0.0
    counter_ns: int | None = None


def _parse_nonce(body: bytes, content_type: str) -> str | None:
    """The nonce as the client signed it (its decimal string), or None."""
    media = content_type.split(";", 1)[0].strip().lower()
    if media == "application/json":
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return None
        if not isinstance(data, dict):
            return None
        value = data.get("nonce")
        # bool is an int subclass; a JSON true is no nonce.
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            return str(value)
        return value if isinstance(value, str) else None
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        return None
    values = fields.get("nonce")
    return values[0] if values else None


def _nonce_value(text: str | None) -> int | None:
    if text is None or not _DIGITS.fullmatch(text):
        return None
    value = int(text)
    return value if value <= _U64_MAX else None


def _result_for(method: str) -> dict[str, Any]:
    """A fresh, Kraken-shaped result so that the clients' parsers do not crash."""
    if method == "Balance":
        return {"ZUSD": "1000.0000"}
    if method == "BalanceEx":  # ccxt's fetch_balance reads balance/hold_trade
        return {"ZUSD": {"balance": "1000.0000", "hold_trade": "0.0000"}}
    if method == "TradeBalance":
        return {
            "eb": "1000.0000", "tb": "1000.0000", "m": "0.0000", "n": "0.0000",
            "c": "0.0000", "v": "0.0000", "e": "1000.0000", "mf": "1000.0000",
        }
    if method == "OpenOrders":
        return {"open": {}}
    if method == "ClosedOrders":
        return {"closed": {}, "count": 0}
    if method == "Ledgers":
        return {"ledger": {}, "count": 0}
    if method == "TradesHistory":
        return {"trades": {}, "count": 0}
    if method in {"QueryLedgers", "QueryTrades", "QueryOrders"}:
        return {}
    if method == "CancelOrderBatch":  # the JSON-bodied call of both clients
        return {"count": 0}
    return {"ok": True, "method": method}


def _public_result(name: str, now_ns: int) -> dict[str, Any] | None:
    """Minimal market data ccxt fetches on first use (load_markets); None if unknown."""
    if name == "Time":
        seconds = now_ns // 1_000_000_000
        return {
            "unixtime": seconds,
            "rfc1123": time.strftime("%a, %d %b %y %H:%M:%S +0000", time.gmtime(seconds)),
        }
    if name == "SystemStatus":
        return {"status": "online", "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    if name == "Assets":
        return {
            "XXBT": {"aclass": "currency", "altname": "XBT", "decimals": 10,
                     "display_decimals": 5, "status": "enabled"},
            "ZUSD": {"aclass": "currency", "altname": "USD", "decimals": 4,
                     "display_decimals": 2, "status": "enabled"},
        }
    if name == "AssetPairs":
        return {
            "XXBTZUSD": {
                "altname": "XBTUSD", "wsname": "XBT/USD", "aclass_base": "currency",
                "base": "XXBT", "aclass_quote": "currency", "quote": "ZUSD", "lot": "unit",
                "cost_decimals": 5, "pair_decimals": 1, "lot_decimals": 8,
                "lot_multiplier": 1, "leverage_buy": [], "leverage_sell": [],
                "fees": [[0, 0.26]], "fees_maker": [[0, 0.16]],
                "fee_volume_currency": "ZUSD", "margin_call": 80, "margin_stop": 40,
                "ordermin": "0.0001", "costmin": "0.5", "tick_size": "0.1", "status": "online",
            },
        }
    return None


class _Server(ThreadingHTTPServer):
    # Non-daemon handler threads, so server_close() joins them: a clean exit.
    daemon_threads = False
    block_on_close = True

    def __init__(self, address: tuple[str, int], owner: KrakenStandIn) -> None:
        self.owner = owner
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 keeps connections alive for requests.Session and aiohttp.
    protocol_version = "HTTP/1.1"
    timeout = CONNECTION_TIMEOUT_S
    # Head and body leave in one send (handle_one_request flushes), and without
    # Nagle's delay, so a keep-alive client never waits ~40 ms for a delayed ACK.
    wbufsize = -1
    disable_nagle_algorithm = True
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.owner._register(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.owner._unregister(self.connection)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # test output stays readable

    def _send_json(self, status: int, payload: Mapping[str, Any]) -> None:
        data = json.dumps(payload, separators=(",", ":")).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _not_found(self) -> None:
        self._send_json(404, {"error": ["EGeneral:Unknown method"], "result": {}})

    def _read_body(self) -> bytes | None:
        """The body by Content-Length, or None after answering a refusal."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            # Without a length we cannot bound the read; no client here sends chunked.
            self.close_connection = True
            self._send_json(411, {"error": ["EGeneral:Length required"], "result": {}})
            return None
        raw = self.headers.get("Content-Length", "0").strip() or "0"
        if not _DIGITS.fullmatch(raw):  # str.isdigit() would let "²" through to int()
            self.close_connection = True
            self._send_json(400, {"error": ["EGeneral:Invalid arguments"], "result": {}})
            return None
        length = int(raw)
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            self._send_json(413, {"error": ["EGeneral:Request too large"], "result": {}})
            return None
        return self.rfile.read(length) if length else b""

    def do_GET(self) -> None:  # noqa: N802
        # A body on GET is unusual but must still be consumed, or keep-alive desyncs.
        if self._read_body() is None:
            return
        parts = urlsplit(self.path).path.split("/")
        if len(parts) == 4 and parts[:3] == ["", "0", "public"]:
            result = _public_result(parts[3], time.time_ns())
            if result is not None:
                self._send_json(200, {"error": [], "result": result})
                return
        self._not_found()

    do_HEAD = do_GET

    def do_POST(self) -> None:  # noqa: N802
        body = self._read_body()
        if body is None:
            return
        self.server.owner._travel()
        uri_path = urlsplit(self.path).path
        parts = uri_path.split("/")
        if len(parts) != 4 or parts[:3] != ["", "0", "private"] or not _METHOD.fullmatch(parts[3]):
            self._not_found()
            return
        record = self.server.owner._judge(
            key=self.headers.get("API-Key", ""),
            signature=self.headers.get("API-Sign", ""),
            uri_path=uri_path,
            method=parts[3],
            body=body,
            content_type=self.headers.get("Content-Type", ""),
        )
        if record.accepted:
            self._send_json(200, {"error": [], "result": _result_for(record.method)})
        else:
            self._send_json(200, {"error": [record.error], "result": {}})

    # Anything else on any path is not part of the API.
    def do_PUT(self) -> None:  # noqa: N802
        if self._read_body() is not None:
            self._not_found()

    do_DELETE = do_PUT


class KrakenStandIn:
    """Kraken's private REST rules on 127.0.0.1, run in a background thread.

    ``keys`` maps API key -> base64 secret. ``tier`` is (maximum, decay per
    second) of the per-key call counter, or None for no rate limit.
    ``nonce_window`` is Kraken's nonce window in nonce units (0: strictly
    increasing). ``clock`` returns the arrival time in ns; tests may pass a fake
    one to make the rate arithmetic exact. ``arrival_jitter_s``: see ``_travel``.
    """

    def __init__(
        self,
        keys: Mapping[str, str],
        tier: tuple[float, float] | None = None,
        nonce_window: int = 0,
        *,
        port: int = 0,
        clock: Callable[[], int] = time.time_ns,
        arrival_jitter_s: float = 0.0,
    ) -> None:
        if nonce_window < 0:
            raise ValueError("nonce_window must be >= 0")
        if tier is not None and (tier[0] < 0 or tier[1] < 0):
            raise ValueError("tier values must be >= 0")
        self.tier = (float(tier[0]), float(tier[1])) if tier is not None else None
        self.nonce_window = nonce_window
        self._clock = clock
        self._arrival_jitter_s = arrival_jitter_s
        self._port = port
        # validate=True: a secret that is not base64 is a test bug, not a silent mismatch.
        self._keys = {key: _KeyState(secret=base64.b64decode(secret, validate=True))
                      for key, secret in keys.items()}
        self._lock = threading.Lock()  # the one lock for all checks and records
        self._calls: list[CallRecord] = []
        self._conn_lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._closing = False
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    # ---- lifecycle -------------------------------------------------------

    def start(self) -> KrakenStandIn:
        if self._server is not None:
            raise RuntimeError("already started")
        self._server = _Server(("127.0.0.1", self._port), self)
        host, port = self._server.server_address[:2]
        self.url = f"http://{host}:{port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
            name="kraken-standin", daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        server.shutdown()  # stops accepting; returns once serve_forever has left
        with self._conn_lock:
            self._closing = True
            open_connections = list(self._connections)
        # Idle keep-alive handlers block in a read: wake them so they can be joined.
        for conn in open_connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        server.server_close()  # closes the listener and joins the handler threads
        if thread is not None:
            thread.join()
        self._server = None
        self._thread = None

    def __enter__(self) -> KrakenStandIn:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _register(self, conn: socket.socket) -> None:
        with self._conn_lock:
            self._connections.add(conn)
            closing = self._closing
        if closing:  # accepted in the instant before stop(): do not wait for its timeout
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _unregister(self, conn: socket.socket) -> None:
        with self._conn_lock:
            self._connections.discard(conn)

    def _travel(self) -> None:
        """With ``arrival_jitter_s``, a private call waits up to that long (uniformly at
        random) before it is judged, as on a network: calls sent close together by
        different processes may then arrive in another order than they were signed."""
        if self._arrival_jitter_s > 0:
            time.sleep(random.uniform(0.0, self._arrival_jitter_s))

    # ---- the rules ---------------------------------------------------------

    def _judge(
        self,
        *,
        key: str,
        signature: str,
        uri_path: str,
        method: str,
        body: bytes,
        content_type: str,
    ) -> CallRecord:
        nonce_text = _parse_nonce(body, content_type)
        nonce = _nonce_value(nonce_text)
        with self._lock:
            # Arrival time is taken under the lock, so records are in judging order.
            now = self._clock()
            state = self._keys.get(key)
            if state is None:
                return self._record(key, method, nonce, ERR_KEY, now, None, content_type)

            counter = self._decay(state, now)

            expected = _signature_bytes(
                uri_path.encode("utf-8"),
                (nonce_text or "").encode("utf-8"),
                body,
                state.secret,
            )
            # Header values arrive as latin-1 text; compare bytes in constant time.
            if not hmac.compare_digest(expected, signature.strip().encode("latin-1", "replace")):
                return self._record(key, method, nonce, ERR_SIGNATURE, now, counter, content_type)

            if nonce is None or not self._nonce_ok(state, nonce):
                return self._record(key, method, nonce, ERR_NONCE, now, counter, content_type)
            self._consume_nonce(state, nonce)

            if self.tier is not None:
                maximum = self.tier[0]
                cost = method_cost(method)
                if state.counter + cost > maximum + RATE_TOLERANCE:
                    return self._record(key, method, nonce, ERR_RATE, now, counter, content_type)
                state.counter += cost
                counter = state.counter
            return self._record(key, method, nonce, None, now, counter, content_type)

    def _decay(self, state: _KeyState, now: int) -> float | None:
        """Bring the counter to ``now``; committing is harmless since clamped linear
        decay in steps equals decay in one go."""
        if self.tier is None:
            return None
        if state.counter_ns is not None:
            elapsed_s = max(0, now - state.counter_ns) / 1e9  # wall clock may step back
            state.counter = max(0.0, state.counter - elapsed_s * self.tier[1])
        state.counter_ns = now if state.counter_ns is None else max(now, state.counter_ns)
        return state.counter

    def _nonce_ok(self, state: _KeyState, nonce: int) -> bool:
        last = state.last_nonce
        if last is None or nonce > last:
            return True
        # Kraken's window: a little below the last one is fine if never used.
        return self.nonce_window > 0 and nonce >= last - self.nonce_window and nonce not in state.seen

    def _consume_nonce(self, state: _KeyState, nonce: int) -> None:
        if state.last_nonce is None or nonce > state.last_nonce:
            state.last_nonce = nonce
        if self.nonce_window > 0:
            state.seen.add(nonce)
            # Only nonces still inside the window can collide; forget the rest.
            floor = state.last_nonce - self.nonce_window
            state.seen = {n for n in state.seen if n >= floor}

    def _record(
        self,
        key: str,
        method: str,
        nonce: int | None,
        error: str | None,
        now: int,
        counter: float | None,
        content_type: str,
    ) -> CallRecord:
        record = CallRecord(
            key=key, method=method, nonce=nonce, accepted=error is None, error=error,
            arrived_ns=now, counter_after=counter, content_type=content_type,
        )
        self._calls.append(record)
        return record

    # ---- what happened -----------------------------------------------------

    @property
    def calls(self) -> list[CallRecord]:
        """A copy of every private call's record, in judging order."""
        with self._lock:
            return list(self._calls)

    def _count(self, key: str | None, predicate: Callable[[CallRecord], bool]) -> int:
        return sum(1 for r in self.calls if (key is None or r.key == key) and predicate(r))

    def invalid_nonces(self, key: str | None = None) -> int:
        return self._count(key, lambda r: r.error == ERR_NONCE)

    def rate_limited(self, key: str | None = None) -> int:
        return self._count(key, lambda r: r.error == ERR_RATE)

    def accepted(self, key: str | None = None) -> int:
        return self._count(key, lambda r: r.accepted)

    def max_counter(self, key: str) -> float:
        """The highest counter value a counted (accepted) call of ``key`` reached."""
        values = [r.counter_after for r in self.calls
                  if r.key == key and r.accepted and r.counter_after is not None]
        return max(values, default=0.0)

    def summary(self) -> dict[str, Any]:
        """Plain data for JSON: the records and per-key tallies."""
        calls = self.calls
        keys = sorted({r.key for r in calls} | set(self._keys))
        return {
            "url": self.url,
            "tier": list(self.tier) if self.tier is not None else None,
            "nonce_window": self.nonce_window,
            "calls": [r.as_dict() for r in calls],
            "per_key": {
                k: {
                    "accepted": sum(1 for r in calls if r.key == k and r.accepted),
                    "invalid_nonces": sum(1 for r in calls if r.key == k and r.error == ERR_NONCE),
                    "rate_limited": sum(1 for r in calls if r.key == k and r.error == ERR_RATE),
                    "max_counter": max((r.counter_after for r in calls if r.key == k and r.accepted
                                        and r.counter_after is not None), default=0.0),
                }
                for k in keys
            },
        }


def _write_atomically(path: str, text: str) -> None:
    # A reader polling for the file never sees it half written.
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--key", action="append", required=True, help="API key (repeatable)")
    parser.add_argument("--secret", action="append", required=True,
                        help="base64 secret, one per --key in the same order")
    parser.add_argument("--tier", nargs=2, type=float, metavar=("MAX", "DECAY"))
    parser.add_argument("--nonce-window", type=int, default=0)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file", required=True, help="receives the URL once listening")
    parser.add_argument("--summary", help="receives the JSON summary on SIGTERM")
    args = parser.parse_args(argv)
    if len(args.key) != len(args.secret):
        parser.error("give one --secret per --key")

    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    exchange = KrakenStandIn(
        keys=dict(zip(args.key, args.secret)),
        tier=tuple(args.tier) if args.tier else None,  # type: ignore[arg-type]
        nonce_window=args.nonce_window,
        port=args.port,
    )
    with exchange:
        _write_atomically(args.port_file, exchange.url + "\n")
        # A timeout keeps the main thread waking up for signals on every platform.
        while not stop.wait(0.5):
            pass
    if args.summary:
        _write_atomically(args.summary, json.dumps(exchange.summary(), indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
