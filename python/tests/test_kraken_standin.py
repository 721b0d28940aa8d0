"""Tests of the Kraken stand-in itself: its rules, its HTTP, and both clients' dialects.

Everything runs on loopback with short timeouts. Rate arithmetic is checked
with an injected clock (exact, whatever the machine's load); the one test on
the real clock checks the decisions against a replay of the rule instead of
assuming how fast the calls go out.
"""

from __future__ import annotations

import asyncio
import base64
import http.client
import json
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest

from kraken_standin import (
    ERR_KEY,
    ERR_NONCE,
    ERR_RATE,
    ERR_SIGNATURE,
    CallRecord,
    KrakenStandIn,
    kraken_signature,
    method_cost,
)

KEY = "TESTKEY"
# A fixed 64-byte secret, the size Kraken issues.
SECRET = base64.b64encode(bytes(range(64))).decode()
OTHER_KEY = "OTHERKEY"
OTHER_SECRET = base64.b64encode(bytes(range(64, 128))).decode()

STANDIN = Path(__file__).with_name("kraken_standin.py")


@pytest.fixture(autouse=True)
def _no_proxy_for_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    # requests (python-kraken-sdk's sync client) honours proxy variables; loopback must not.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


class FakeClock:
    """A settable arrival clock in ns, so decay is exact."""

    def __init__(self, start_ns: int = 1_700_000_000_000_000_000) -> None:
        self.now = start_ns

    def __call__(self) -> int:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += round(seconds * 1e9)


def connect(url: str) -> http.client.HTTPConnection:
    parts = urlsplit(url)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)


def private_call(
    conn: http.client.HTTPConnection,
    method: str,
    nonce: int | str,
    *,
    key: str = KEY,
    secret: str = SECRET,
    params: dict[str, Any] | None = None,
    as_json: bool = False,
    json_nonce_as_int: bool = False,
    signature: str | None = None,
    extra_headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any], http.client.HTTPResponse]:
    """One hand-made private call, signed the way Kraken documents unless told otherwise."""
    fields: dict[str, Any] = {"nonce": nonce, **(params or {})}
    if as_json:
        if json_nonce_as_int:
            fields["nonce"] = int(nonce)
        body = json.dumps(fields)
        content_type = "application/json; charset=utf-8"
    else:
        body = urlencode(fields)
        content_type = "application/x-www-form-urlencoded"
    path = f"/0/private/{method}"
    headers = {
        "Content-Type": content_type,
        "API-Key": key,
        "API-Sign": signature if signature is not None
        else kraken_signature(path, str(nonce), body, secret),
        **(extra_headers or {}),
    }
    conn.request("POST", path, body=body.encode(), headers=headers)
    response = conn.getresponse()
    payload = json.loads(response.read())
    return response.status, payload, response


# ---- the signature -----------------------------------------------------------


def test_signature_matches_krakens_documented_example() -> None:
    # Kraken's "Spot REST Authentication" guide, Examples table.
    assert kraken_signature(
        "/0/private/AddOrder",
        "1616492376594",
        "nonce=1616492376594&ordertype=limit&pair=XBTUSD&price=37500&type=buy&volume=1.25",
        "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg==",
    ) == "4/dpxb3iT4tp/ZCVEwSnEsLxx0bqyhLpdfOpc6fn7OR8+UClSV5n9E6aSS8MPtnRfp32bAb0nmbRn6H8ndwLUQ=="


def test_signature_covers_path_nonce_and_body() -> None:
    base = kraken_signature("/0/private/Balance", "1", "nonce=1", SECRET)
    assert kraken_signature("/0/private/Ledgers", "1", "nonce=1", SECRET) != base
    assert kraken_signature("/0/private/Balance", "2", "nonce=1", SECRET) != base
    assert kraken_signature("/0/private/Balance", "1", "nonce=1&x=1", SECRET) != base
    assert kraken_signature("/0/private/Balance", "1", "nonce=1", OTHER_SECRET) != base


def test_method_costs() -> None:
    assert method_cost("Ledgers") == method_cost("TradesHistory") == 2
    assert method_cost("QueryLedgers") == method_cost("QueryTrades") == 2
    assert method_cost("Balance") == method_cost("AddOrder") == 1


# ---- the rules ---------------------------------------------------------------


def test_a_signed_call_is_accepted_and_recorded() -> None:
    with KrakenStandIn(keys={KEY: SECRET}) as exchange:
        conn = connect(exchange.url)
        status, payload, _ = private_call(conn, "Balance", 1_700_000_000_000)
        conn.close()
        calls = exchange.calls
    assert status == 200
    assert payload == {"error": [], "result": {"ZUSD": "1000.0000"}}
    assert len(calls) == 1
    record = calls[0]
    assert (record.key, record.method, record.nonce, record.accepted, record.error) == (
        KEY, "Balance", 1_700_000_000_000, True, None)
    assert record.counter_after is None  # no tier
    assert exchange.accepted() == exchange.accepted(KEY) == 1


def test_repeated_and_lower_nonces_are_refused() -> None:
    with KrakenStandIn(keys={KEY: SECRET}) as exchange:
        conn = connect(exchange.url)
        assert private_call(conn, "Balance", 1000)[1]["error"] == []
        assert private_call(conn, "Balance", 1000)[1] == {"error": [ERR_NONCE], "result": {}}
        assert private_call(conn, "Balance", 999)[1]["error"] == [ERR_NONCE]
        # The refusals did not move the last accepted nonce: 1001 still follows 1000.
        assert private_call(conn, "Balance", 1001)[1]["error"] == []
        conn.close()
        assert exchange.invalid_nonces() == exchange.invalid_nonces(KEY) == 2
        assert exchange.accepted(KEY) == 2
        assert [r.nonce for r in exchange.calls] == [1000, 1000, 999, 1001]


def test_nonces_compare_as_integers_across_lengths() -> None:
    # ccxt: 13-digit ms; python-kraken-sdk: 18-digit 10 ns; NonceStore: 19-digit ns.
    # As strings "9999999999999" > "100000000000000000"; as integers it is the other way.
    with KrakenStandIn(keys={KEY: SECRET}) as exchange:
        conn = connect(exchange.url)
        assert private_call(conn, "Balance", 9_999_999_999_999)[1]["error"] == []
        assert private_call(conn, "Balance", 100_000_000_000_000_000)[1]["error"] == []
        assert private_call(conn, "Balance", 1_000_000_000_000_000_000)[1]["error"] == []
        assert private_call(conn, "Balance", 9_999_999_999_999)[1]["error"] == [ERR_NONCE]
        conn.close()


def test_bad_nonce_text_is_refused() -> None:
    with KrakenStandIn(keys={KEY: SECRET}) as exchange:
        conn = connect(exchange.url)
        assert private_call(conn, "Balance", "12a")[1]["error"] == [ERR_NONCE]
        assert private_call(conn, "Balance", "-5")[1]["error"] == [ERR_NONCE]
        assert private_call(conn, "Balance", str(1 << 64))[1]["error"] == [ERR_NONCE]  # > u64
        assert private_call(conn, "Balance", str((1 << 64) - 1))[1]["error"] == []
        conn.close()


def test_a_bad_signature_is_refused_and_consumes_no_nonce() -> None:
    with KrakenStandIn(keys={KEY: SECRET}) as exchange:
        conn = connect(exchange.url)
        wrong = kraken_signature("/0/private/Balance", "50", "nonce=50", OTHER_SECRET)
        assert private_call(conn, "Balance", 50, signature=wrong)[1] == {
            "error": [ERR_SIGNATURE], "result": {}}
        assert private_call(conn, "Balance", 51, signature="")[1]["error"] == [ERR_SIGNATURE]
        # Signed for another method: the path is part of the message.
        other_path = kraken_signature("/0/private/Ledgers", "52", "nonce=52", SECRET)
        assert private_call(conn, "Balance", 52, signature=other_path)[1]["error"] == [ERR_SIGNATURE]
        assert private_call(conn, "Balance", 10)[1]["error"] == []
        conn.close()
        assert [r.error for r in exchange.calls] == [ERR_SIGNATURE] * 3 + [None]


def test_an_unknown_key_is_refused() -> None:
    with KrakenStandIn(keys={KEY: SECRET}) as exchange:
        conn = connect(exchange.url)
        status, payload, _ = private_call(conn, "Balance", 1, key="NOPE")
        assert (status, payload) == (200, {"error": [ERR_KEY], "result": {}})
        conn.request("POST", "/0/private/Balance", body=b"nonce=2",
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert json.loads(conn.getresponse().read())["error"] == [ERR_KEY]
        conn.close()
        assert [(r.key, r.error) for r in exchange.calls] == [("NOPE", ERR_KEY), ("", ERR_KEY)]


def test_keys_are_independent() -> None:
    with KrakenStandIn(keys={KEY: SECRET, OTHER_KEY: OTHER_SECRET}) as exchange:
        conn = connect(exchange.url)
        assert private_call(conn, "Balance", 100)[1]["error"] == []
        # Another key has its own last nonce.
        assert private_call(conn, "Balance", 5, key=OTHER_KEY, secret=OTHER_SECRET)[1]["error"] == []
        # A key's own secret is required.
        assert private_call(conn, "Balance", 6, key=OTHER_KEY)[1]["error"] == [ERR_SIGNATURE]
        conn.close()
        assert exchange.accepted(KEY) == exchange.accepted(OTHER_KEY) == 1


def test_json_bodies_with_string_or_integer_nonce() -> None:
    with KrakenStandIn(keys={KEY: SECRET}) as exchange:
        conn = connect(exchange.url)
        status, payload, _ = private_call(conn, "CancelOrderBatch", 10, as_json=True,
                                          params={"orders": ["A", "B"]})
        assert (status, payload["error"]) == (200, [])
        assert private_call(conn, "Balance", 11, as_json=True, json_nonce_as_int=True)[1]["error"] == []
        assert private_call(conn, "Balance", 11, as_json=True)[1]["error"] == [ERR_NONCE]
        conn.close()
        assert [r.content_type for r in exchange.calls] == ["application/json; charset=utf-8"] * 3


def test_the_nonce_window_accepts_an_unseen_nonce_just_below_the_last() -> None:
    with KrakenStandIn(keys={KEY: SECRET}, nonce_window=10) as exchange:
        conn = connect(exchange.url)
        errors = [private_call(conn, "Balance", n)[1]["error"] for n in (100, 95, 95, 89, 90, 101, 95, 92)]
        conn.close()
    assert errors == [
        [],           # 100: first
        [],           # 95: within 10 below 100, unseen
        [ERR_NONCE],  # 95 again: seen
        [ERR_NONCE],  # 89: more than 10 below
        [],           # 90: exactly 10 below
        [],           # 101: new highest
        [ERR_NONCE],  # 95: still seen (window now 91..101)
        [],           # 92: unseen, within
    ]


def test_one_nonce_sent_concurrently_is_accepted_once() -> None:
    # The checks and the update are atomic: of racing identical nonces only one wins.
    with KrakenStandIn(keys={KEY: SECRET}) as exchange:
        barrier = threading.Barrier(8)
        errors: list[list[str]] = []
        errors_lock = threading.Lock()

        def race() -> None:
            conn = connect(exchange.url)
            conn.connect()
            barrier.wait(timeout=5)
            error = private_call(conn, "Balance", 777)[1]["error"]
            conn.close()
            with errors_lock:
                errors.append(error)

        threads = [threading.Thread(target=race) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=10)
        assert sorted(map(tuple, errors)) == [()] + [(ERR_NONCE,)] * 7
        assert exchange.accepted() == 1 and exchange.invalid_nonces() == 7


# ---- the rate counter --------------------------------------------------------


def test_the_tier_refuses_the_call_over_the_maximum_and_accepts_after_decay() -> None:
    clock = FakeClock()
    with KrakenStandIn(keys={KEY: SECRET}, tier=(3, 20.0), clock=clock) as exchange:
        conn = connect(exchange.url)
        nonce = iter(range(1, 100))
        errors = [private_call(conn, "Balance", next(nonce))[1]["error"] for _ in range(4)]
        assert errors == [[], [], [], [ERR_RATE]]
        assert [r.counter_after for r in exchange.calls] == [1.0, 2.0, 3.0, 3.0]

        clock.advance(0.05)  # 20/s for 50 ms: exactly one call's worth
        assert private_call(conn, "Balance", next(nonce))[1]["error"] == []
        assert exchange.calls[-1].counter_after == pytest.approx(3.0)

        clock.advance(0.01)  # only 0.2 decayed: 2.8 + 1 > 3
        assert private_call(conn, "Balance", next(nonce))[1]["error"] == [ERR_RATE]

        clock.advance(10.0)  # clamps at 0, never negative
        assert private_call(conn, "Balance", next(nonce))[1]["error"] == []
        assert exchange.calls[-1].counter_after == pytest.approx(1.0)
        conn.close()
        assert exchange.rate_limited(KEY) == 2
        assert exchange.max_counter(KEY) == pytest.approx(3.0)


def test_ledgers_costs_two() -> None:
    clock = FakeClock()
    with KrakenStandIn(keys={KEY: SECRET}, tier=(3, 20.0), clock=clock) as exchange:
        conn = connect(exchange.url)
        assert private_call(conn, "Ledgers", 1)[1] == {
            "error": [], "result": {"ledger": {}, "count": 0}}
        assert exchange.calls[-1].counter_after == 2.0
        assert private_call(conn, "Ledgers", 2)[1]["error"] == [ERR_RATE]  # 2 + 2 > 3
        assert private_call(conn, "Balance", 3)[1]["error"] == []  # 2 + 1 == 3: the tolerance
        assert exchange.calls[-1].counter_after == 3.0
        clock.advance(0.1)  # 2 decayed
        assert private_call(conn, "TradesHistory", 4)[1]["error"] == []
        assert exchange.calls[-1].counter_after == pytest.approx(3.0)
        conn.close()


def test_refused_calls_cost_nothing() -> None:
    clock = FakeClock()
    with KrakenStandIn(keys={KEY: SECRET}, tier=(3, 1.0), clock=clock) as exchange:
        conn = connect(exchange.url)
        private_call(conn, "Balance", 10)
        private_call(conn, "Balance", 10)  # invalid nonce
        private_call(conn, "Balance", 11, signature="x")  # invalid signature
        private_call(conn, "Balance", 11, key="NOPE")  # invalid key
        assert [r.counter_after for r in exchange.calls] == [1.0, 1.0, 1.0, None]
        assert private_call(conn, "Balance", 11)[1]["error"] == []
        assert exchange.calls[-1].counter_after == 2.0
        conn.close()


def test_a_rate_limited_call_still_consumes_its_nonce() -> None:
    clock = FakeClock()
    with KrakenStandIn(keys={KEY: SECRET}, tier=(1, 1.0), clock=clock) as exchange:
        conn = connect(exchange.url)
        assert private_call(conn, "Balance", 1)[1]["error"] == []
        assert private_call(conn, "Balance", 2)[1]["error"] == [ERR_RATE]
        clock.advance(5)
        assert private_call(conn, "Balance", 2)[1]["error"] == [ERR_NONCE]
        assert private_call(conn, "Balance", 3)[1]["error"] == []
        conn.close()


def test_real_clock_decisions_follow_the_rule() -> None:
    # On the real clock the timing varies, so replay the rule over the recorded
    # arrival times and require the same decisions and counters.
    maximum, decay = 3.0, 20.0
    with KrakenStandIn(keys={KEY: SECRET}, tier=(maximum, decay)) as exchange:
        conn = connect(exchange.url)
        for n in range(1, 7):
            private_call(conn, "Ledgers" if n % 3 == 0 else "Balance", n)
        time.sleep(0.2)  # at least 4 units decay: the counter is at 0 again
        assert private_call(conn, "Balance", 7)[1]["error"] == []
        conn.close()
        calls = exchange.calls
    counter, last_ns = 0.0, None
    for record in calls:
        if last_ns is not None:
            counter = max(0.0, counter - (record.arrived_ns - last_ns) / 1e9 * decay)
        last_ns = record.arrived_ns
        cost = method_cost(record.method)
        accept = counter + cost <= maximum + 1e-9
        if accept:
            counter += cost
        assert record.accepted == accept
        assert record.counter_after == pytest.approx(counter, abs=1e-6)
    assert calls[-1].counter_after == pytest.approx(1.0)


# ---- HTTP behaviour ------------------------------------------------------------


def test_keep_alive_serves_several_calls_on_one_connection() -> None:
    with KrakenStandIn(keys={KEY: SECRET}) as exchange:
        conn = connect(exchange.url)
        private_call(conn, "Balance", 1)
        first_socket = conn.sock
        for n in (2, 3):
            _, payload, response = private_call(conn, "Balance", n)
            assert payload["error"] == []
            assert response.getheader("Content-Length") is not None
        assert conn.sock is first_socket
        conn.close()


def test_connection_close_is_honoured() -> None:
    with KrakenStandIn(keys={KEY: SECRET}) as exchange:
        port = urlsplit(exchange.url).port
        body = b"nonce=5"
        sign = kraken_signature("/0/private/Balance", "5", body.decode(), SECRET)
        request = (
            "POST /0/private/Balance HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"API-Key: {KEY}\r\nAPI-Sign: {sign}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode() + body
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(request)
            received = b""
            while chunk := sock.recv(65536):  # ends only because the server closes
                received += chunk
        head, _, payload = received.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200")
        assert b"\r\nConnection: close" in head
        assert json.loads(payload) == {"error": [], "result": {"ZUSD": "1000.0000"}}


def test_paths_outside_the_api_are_404_and_public_data_is_served() -> None:
    with KrakenStandIn(keys={KEY: SECRET}) as exchange:
        conn = connect(exchange.url)
        for method, path in [("GET", "/"), ("POST", "/0/private/"), ("POST", "/0/private/A/B"),
                             ("POST", "/1/private/Balance"), ("GET", "/0/private/Balance"),
                             ("GET", "/0/public/Nope")]:
            conn.request(method, path, body=b"" if method == "POST" else None)
            response = conn.getresponse()
            assert response.status == 404, path
            assert json.loads(response.read())["error"]
        conn.request("GET", "/0/public/Time")
        response = conn.getresponse()
        assert response.status == 200
        assert json.loads(response.read())["result"]["unixtime"] > 1_600_000_000
        conn.close()
        assert exchange.calls == []  # only private calls are recorded


def test_an_oversized_body_is_refused_unread() -> None:
    with KrakenStandIn(keys={KEY: SECRET}) as exchange:
        conn = connect(exchange.url)
        conn.putrequest("POST", "/0/private/Balance")
        conn.putheader("Content-Length", str(64 << 20))
        conn.endheaders()
        response = conn.getresponse()
        assert response.status == 413
        assert response.getheader("Connection") == "close"
        response.read()
        conn.close()
        for bad_length in ("-1", "\u00b2", "1e3"):  # "²" passes str.isdigit() but not int()
            conn = connect(exchange.url)
            conn.putrequest("POST", "/0/private/Balance")
            conn.putheader("Content-Length", bad_length)
            conn.endheaders()
            response = conn.getresponse()
            assert response.status == 400, bad_length
            response.read()
            conn.close()
        assert exchange.calls == []


def test_leaving_the_context_closes_idle_keep_alive_connections_promptly() -> None:
    exchange = KrakenStandIn(keys={KEY: SECRET})
    with exchange:
        conn = connect(exchange.url)
        private_call(conn, "Balance", 1)  # the connection stays open and idle
        started = time.monotonic()
    assert time.monotonic() - started < 2.0
    assert not any(t.name == "kraken-standin" for t in threading.enumerate())
    with pytest.raises((http.client.HTTPException, OSError)):
        private_call(conn, "Balance", 2)
    conn.close()


# ---- the real clients ----------------------------------------------------------


def test_ccxt_sync_client() -> None:
    ccxt = pytest.importorskip("ccxt")
    with KrakenStandIn(keys={KEY: SECRET}) as exchange:
        client = ccxt.kraken({"apiKey": KEY, "secret": SECRET, "enableRateLimit": False, "timeout": 5000})
        # sign() appends "/0/private/<Method>" itself: the API URL is the bare base.
        client.urls["api"] = {"public": exchange.url, "private": exchange.url}
        assert client.private_post_balance()["result"] == {"ZUSD": "1000.0000"}
        assert client.private_post_openorders()["result"] == {"open": {}}
        assert client.private_post_ledgers()["result"] == {"ledger": {}, "count": 0}
        assert [r.accepted for r in exchange.calls] == [True] * 3
        assert exchange.calls[0].content_type == "application/x-www-form-urlencoded"

        # The parsers of the unified methods accept the stand-in's shapes
        # (load_markets reads /0/public/Assets and /0/public/AssetPairs first).
        assert client.fetch_balance()["USD"]["total"] == 1000.0
        assert client.fetch_open_orders() == []
        assert client.fetch_ledger() == []
        assert client.fetch_my_trades() == []
        # ccxt's JSON dialect: CancelOrderBatch goes as application/json.
        client.cancel_orders(["OAAAAA-AAAAA-AAAAAA", "OBBBBB-BBBBB-BBBBBB"])
        calls = exchange.calls
    assert all(r.accepted for r in calls)
    assert [r.method for r in calls[3:]] == [
        "BalanceEx", "OpenOrders", "Ledgers", "TradesHistory", "CancelOrderBatch"]
    assert calls[-1].content_type == "application/json"
    assert len(str(calls[0].nonce)) == 13  # milliseconds


def test_python_kraken_sdk_sync_client() -> None:
    spot = pytest.importorskip("kraken.spot")
    with KrakenStandIn(keys={KEY: SECRET}) as exchange:
        user = spot.User(key=KEY, secret=SECRET, url=exchange.url)
        assert user.get_account_balance() == {"ZUSD": "1000.0000"}
        assert user.get_open_orders() == {"open": {}}
        assert user.get_trade_balance()["eb"] == "1000.0000"
        # The SDK's JSON dialect.
        trade = spot.Trade(key=KEY, secret=SECRET, url=exchange.url)
        assert trade.cancel_order_batch(orders=["OAAAAA-AAAAA-AAAAAA"]) == {"count": 0}
        calls = exchange.calls
    assert [r.method for r in calls] == ["Balance", "OpenOrders", "TradeBalance", "CancelOrderBatch"]
    assert all(r.accepted for r in calls)
    assert calls[0].content_type == "application/x-www-form-urlencoded; charset=utf-8"
    assert calls[-1].content_type == "application/json; charset=utf-8"
    assert len(str(calls[0].nonce)) == 18  # units of 10 ns


def test_async_clients_over_aiohttp_keep_alive() -> None:
    ccxt_async = pytest.importorskip("ccxt.async_support")
    spot = pytest.importorskip("kraken.spot")

    async def run(url: str) -> None:
        client = ccxt_async.kraken({"apiKey": KEY, "secret": SECRET, "enableRateLimit": False,
                                    "timeout": 5000})
        client.urls["api"] = {"public": url, "private": url}
        try:
            for _ in range(3):  # several calls so the pooled connection is reused
                assert (await client.private_post_balance())["result"] == {"ZUSD": "1000.0000"}
        finally:
            await client.close()
        # python-kraken-sdk has no async User; SpotAsyncClient.request is the async path.
        async with spot.SpotAsyncClient(key=KEY, secret=SECRET, url=url) as sdk:
            for _ in range(3):
                assert await sdk.request("POST", "/0/private/Balance") == {"ZUSD": "1000.0000"}

    with KrakenStandIn(keys={KEY: SECRET}) as exchange:
        asyncio.run(asyncio.wait_for(run(exchange.url), timeout=20))
        calls = exchange.calls
    assert len(calls) == 6 and all(r.accepted for r in calls)
    # Both clients share one key: the sdk's 18-digit nonces exceed ccxt's 13-digit ones.
    assert [len(str(r.nonce)) for r in calls] == [13] * 3 + [18] * 3


# ---- as a separate process ---------------------------------------------------


def test_script_writes_its_url_and_a_summary_on_sigterm(tmp_path: Path) -> None:
    port_file, summary_file = tmp_path / "url", tmp_path / "summary.json"
    process = subprocess.Popen(
        [sys.executable, str(STANDIN), "--key", KEY, "--secret", SECRET, "--tier", "3", "0",
         "--port-file", str(port_file), "--summary", str(summary_file)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 10
        while not port_file.exists():
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "the stand-in did not start"
            time.sleep(0.02)
        url = port_file.read_text().strip()
        conn = connect(url)
        errors = [private_call(conn, "Balance", n)[1]["error"] for n in range(1, 6)]
        conn.close()
        assert errors == [[], [], [], [ERR_RATE], [ERR_RATE]]
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            rc = process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise
        if process.stderr:
            process.stderr.close()
    assert rc == 0
    summary = json.loads(summary_file.read_text())
    assert summary["url"] == url
    assert [c["accepted"] for c in summary["calls"]] == [True, True, True, False, False]
    assert summary["per_key"][KEY] == {
        "accepted": 3, "invalid_nonces": 0, "rate_limited": 2, "max_counter": 3.0}
    assert set(summary["calls"][0]) == set(CallRecord.__dataclass_fields__)
