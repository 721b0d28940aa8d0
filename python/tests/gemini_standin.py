"""A local stand-in for Gemini's private REST calls, built from the rules Gemini publishes
(https://docs.gemini.com/rest/authentication), so that real clients on loopback meet the
errors the exchange would send.

For every `POST /v1/...` it checks, in this order and under one lock (a key's checks and
state change at once, in arrival order), answering `{"result": "error", "reason": R,
"message": ...}` with the first reason R that applies:

1. `X-GEMINI-APIKEY`, `X-GEMINI-PAYLOAD` and `X-GEMINI-SIGNATURE` are there
   (`MissingApikeyHeader`, `MissingPayloadHeader`, `MissingSignatureHeader`), and the key is
   known (`InvalidApiKey`).
2. The signature is the hex HMAC-SHA384, keyed with the secret, of the payload header as
   sent (`InvalidSignature`).
3. The payload is base64 of a JSON object (`InvalidJson`) whose `request` is the path
   called (`EndpointMismatch`).
4. Its `nonce` (a whole number, or a string of digits) is above the key's last accepted
   one (`InvalidNonce`): a key is a session, and a session's nonces must increase.

Choices where the pages say nothing: errors answer HTTP 400; a refused nonce leaves the
key's last one as it was; keys are not "time based" (those take seconds within 30 s of the
clock instead); there is no rate limit. `/v1/balances` answers one USD balance, any other
private path an empty object.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import threading
from typing import Any, Dict, Mapping, Optional, Tuple

from standin_calls import CallLog, CallRecord
from standin_http import StandInServer

REASON_NONCE = "InvalidNonce"
_BALANCES = [{"type": "exchange", "currency": "USD", "amount": "1000", "available": "1000",
              "availableForWithdrawal": "1000"}]


def gemini_signature(payload: str, secret: str) -> str:
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha384).hexdigest()


def _nonce_of(value: Any) -> Optional[int]:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return None


class GeminiStandIn:
    """`keys` maps API key -> secret. `with GeminiStandIn(keys) as exchange:` serves on
    `exchange.url` (the client's urls['api'] for every API). `arrival_jitter_s`: see
    StandInServer."""

    def __init__(self, keys: Mapping[str, str], arrival_jitter_s: float = 0.0) -> None:
        self._secrets = dict(keys)
        self._last: Dict[str, int] = {}
        self._guard = threading.Lock()
        self.log = CallLog()
        self._server = StandInServer(self._answer, "gemini-standin", arrival_jitter_s)

    @property
    def url(self) -> str:
        return self._server.url

    def __enter__(self) -> "GeminiStandIn":
        self._server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop()

    def invalid_nonces(self, key: str) -> int:
        return self.log.refused(key, REASON_NONCE)

    def _answer(self, method: str, path: str, headers: Dict[str, str], body: bytes) -> Tuple[int, Any]:
        if method != "POST" or not path.startswith("/v1/"):
            return 404, {"result": "error", "reason": "EndpointNotFound", "message": f"no endpoint {path}"}
        refusal = self._judge(path, headers)
        if refusal is not None:
            reason, message = refusal
            return 400, {"result": "error", "reason": reason, "message": message}
        return 200, _BALANCES if path == "/v1/balances" else {}

    def _judge(self, path: str, headers: Dict[str, str]) -> Optional[Tuple[str, str]]:
        key = headers.get("x-gemini-apikey", "")
        payload = headers.get("x-gemini-payload")
        signature = headers.get("x-gemini-signature")
        with self._guard:
            nonce: Optional[int] = None
            refusal = self._check_headers(key, payload, signature)
            if refusal is None:
                assert payload is not None
                request, refusal = self._read_payload(payload, path)
                if refusal is None:
                    nonce = _nonce_of(request.get("nonce"))
                    if nonce is None or nonce <= self._last.get(key, 0):
                        refusal = (REASON_NONCE, f"Nonce '{request.get('nonce')}' is not above the last one this "
                                                 f"key used")
                    else:
                        self._last[key] = nonce
            self.log.add(CallRecord(key, path, nonce, None if refusal is None else refusal[0]))
        return refusal

    def _check_headers(self, key: str, payload: Optional[str], signature: Optional[str]) -> Optional[Tuple[str, str]]:
        for value, reason in ((key, "MissingApikeyHeader"), (payload, "MissingPayloadHeader"),
                              (signature, "MissingSignatureHeader")):
            if not value:
                return reason, f"{reason}: the header is required"
        secret = self._secrets.get(key)
        if secret is None:
            return "InvalidApiKey", f"InvalidApiKey: '{key}' is not a key"
        assert payload is not None and signature is not None
        if not hmac.compare_digest(gemini_signature(payload, secret), signature):
            return "InvalidSignature", "InvalidSignature: the signature does not match the payload"
        return None

    @staticmethod
    def _read_payload(payload: str, path: str) -> Tuple[Dict[str, Any], Optional[Tuple[str, str]]]:
        try:
            request = json.loads(base64.b64decode(payload, validate=True))
        except (binascii.Error, ValueError):
            return {}, ("InvalidJson", "InvalidJson: the payload is not base64 of JSON")
        if not isinstance(request, dict):
            return {}, ("InvalidJson", "InvalidJson: the payload is not a JSON object")
        if request.get("request") != path:
            return request, ("EndpointMismatch", f"EndpointMismatch: the payload names {request.get('request')!r}, "
                                                 f"not {path!r}")
        return request, None
