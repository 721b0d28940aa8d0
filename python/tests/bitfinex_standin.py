"""A local stand-in for Bitfinex API v2's authenticated REST calls, built from the rules
Bitfinex publishes (https://docs.bitfinex.com/docs/rest-auth), so that real clients on
loopback meet the errors the exchange would send.

For every `POST /v2/auth/...` it checks, in this order and under one lock (a key's checks
and state change at once, in arrival order):

1. `bfx-apikey` names a known key, else `["error", 10100, "apikey: invalid"]`.
2. `bfx-signature` is the hex HMAC-SHA384, keyed with the secret, of
   `/api` + the path + `bfx-nonce` + the raw body, else `["error", 10100, "apikey: digest invalid"]`.
3. The nonce (`bfx-nonce`, decimal digits) is above the key's last accepted one, else
   `["error", 10114, "nonce: small"]`.
4. The nonce is at most 9007199254740991 (2^53 - 1, the limit Bitfinex states for the
   nonce of its WebSocket authentication), else `["error", 10114, "nonce: too large"]`.

Choices where the pages say nothing: errors answer HTTP 500 (as clients see them from
Bitfinex); a refused nonce leaves the key's last one as it was; the too-large text is this
stand-in's; there is no rate limit. `/v2/auth/r/wallets` answers one exchange wallet, any
other authenticated path an empty list.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from typing import Any, Dict, Mapping, Optional, Tuple

from standin_calls import CallLog, CallRecord
from standin_http import StandInServer

MAX_NONCE = 9007199254740991
ERROR_NONCE_SMALL = "nonce: small"
ERROR_NONCE_TOO_LARGE = "nonce: too large"
_ERROR_CODES = {"apikey: invalid": 10100, "apikey: digest invalid": 10100, ERROR_NONCE_SMALL: 10114,
                ERROR_NONCE_TOO_LARGE: 10114}
_WALLETS = [["exchange", "USD", 1000.0, 0, 1000.0, None, None]]


def bitfinex_signature(path: str, nonce: str, body: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), b"/api" + path.encode() + nonce.encode() + body, hashlib.sha384).hexdigest()


class BitfinexStandIn:
    """`keys` maps API key -> secret. `with BitfinexStandIn(keys) as exchange:` serves on
    `exchange.url` (the client's urls['api'] for every API). `arrival_jitter_s`: see
    StandInServer."""

    def __init__(self, keys: Mapping[str, str], arrival_jitter_s: float = 0.0) -> None:
        self._secrets = dict(keys)
        self._last: Dict[str, int] = {}
        self._guard = threading.Lock()
        self.log = CallLog()
        self._server = StandInServer(self._answer, "bitfinex-standin", arrival_jitter_s)

    @property
    def url(self) -> str:
        return self._server.url

    def __enter__(self) -> "BitfinexStandIn":
        self._server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop()

    def invalid_nonces(self, key: str) -> int:
        return self.log.refused(key, ERROR_NONCE_SMALL) + self.log.refused(key, ERROR_NONCE_TOO_LARGE)

    def _answer(self, method: str, path: str, headers: Dict[str, str], body: bytes) -> Tuple[int, Any]:
        if method != "POST" or not path.startswith("/v2/auth/"):
            return 404, ["error", 10020, "request: error"]
        error = self._judge(path, headers, body)
        if error is not None:
            return 500, ["error", _ERROR_CODES[error], error]
        return 200, _WALLETS if path == "/v2/auth/r/wallets" else []

    def _judge(self, path: str, headers: Dict[str, str], body: bytes) -> Optional[str]:
        key, text = headers.get("bfx-apikey", ""), headers.get("bfx-nonce", "")
        nonce = int(text) if text.isascii() and text.isdigit() else None
        with self._guard:
            secret = self._secrets.get(key)
            if secret is None:
                error: Optional[str] = "apikey: invalid"
            elif not hmac.compare_digest(bitfinex_signature(path, text, body, secret),
                                         headers.get("bfx-signature", "")):
                error = "apikey: digest invalid"
            elif nonce is None or nonce <= self._last.get(key, 0):
                error = ERROR_NONCE_SMALL
            elif nonce > MAX_NONCE:
                error = ERROR_NONCE_TOO_LARGE
            else:
                error = None
                self._last[key] = nonce
            self.log.add(CallRecord(key, path, nonce, error))
        return error
