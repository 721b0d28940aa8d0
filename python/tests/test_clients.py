"""ccxt and python-kraken-sdk, unchanged but for the lines python/README.md shows, against a
local stand-in of Kraken that checks API-Sign, the nonce rule and the tier counter:
several processes mixing both clients on one key get no invalid nonce with NonceStore,
and do without it (the negative control)."""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from conftest import HERE, Database
from kraken_standin import KrakenStandIn

from noncestore import NonceStore

KEY = "test-key"
SECRET = base64.b64encode(bytes(range(64))).decode()
CLIENTS = ["ccxt", "ccxt-async", "sdk", "sdk-async"]
# A fast tier, so that the counter is exercised in seconds rather than minutes.
TIER = (10.0, 200.0)


def start_worker(client: str, url: str, calls: int, go: Path, database: Optional[Database],
                 tier: Optional[Tuple[float, float]] = None) -> subprocess.Popen:
    arguments = [sys.executable, str(HERE / "client_worker.py"), client, url, KEY, SECRET, str(calls), "--go", str(go)]
    if database is not None:
        arguments += ["--db", database.location, "--stream", database.stream]
        if tier is not None:
            arguments += ["--tier", str(tier[0]), str(tier[1])]
    environment = {**os.environ, "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}
    return subprocess.Popen(arguments, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment)


def run_workers(url: str, tmp_path: Path, database: Optional[Database], calls: int,
                tier: Optional[Tuple[float, float]] = None) -> Dict[str, List[str]]:
    """Two processes of each client, started together; each one's outcome lines."""
    go = tmp_path / "go"
    workers = {f"{client}-{n}": start_worker(client, url, calls, go, database, tier) for client in CLIENTS for n in (1, 2)}
    go.touch()
    results = {}
    for name, worker in workers.items():
        out, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, f"{name}: {err}"
        results[name] = out.splitlines()
        assert len(results[name]) == calls, (name, err)
    return results


def test_mixed_clients_with_noncestore_get_no_invalid_nonce(database: Database, tmp_path: Path) -> None:
    with KrakenStandIn(keys={KEY: SECRET}, tier=TIER) as exchange:
        results = run_workers(exchange.url, tmp_path, database, calls=30, tier=TIER)
        assert exchange.invalid_nonces(KEY) == 0
        assert exchange.rate_limited(KEY) == 0
        assert exchange.accepted(KEY) == 8 * 30
        assert exchange.max_counter(KEY) <= TIER[0] + 1e-9
        nonces = [call.nonce for call in exchange.calls]
    assert all(line == "ok" for lines in results.values() for line in lines)
    assert all(len(str(n)) == 19 for n in nonces)
    with NonceStore(database.location, stream=database.stream) as store:
        assert store.stats().issued_total == 8 * 30  # every nonce sent was issued by the stream
    database.verify()


def test_without_noncestore_the_same_bots_get_invalid_nonces(tmp_path: Path) -> None:
    """The negative control: the clients' own nonces (milliseconds for ccxt, 10 ns for the
    SDK, per process) on one key. Once an SDK nonce is accepted every ccxt nonce is below
    it, and processes of one client race each other."""
    with KrakenStandIn(keys={KEY: SECRET}) as exchange:
        results = run_workers(exchange.url, tmp_path, None, calls=30)
        invalid = exchange.invalid_nonces(KEY)
    refusals = sum(1 for lines in results.values() for line in lines if "nonce" in line.lower())
    assert invalid > 0
    assert refusals == invalid  # the clients saw them as errors too


def test_a_killed_bot_restarts_and_its_key_keeps_working(database: Database, tmp_path: Path) -> None:
    """kill -9 of a bot between or during calls, then a restart: every later call is accepted.
    The killed bot's last call may still reach the exchange after it died (its request was
    on the wire); if one is refused, it is that dead process's."""
    with KrakenStandIn(keys={KEY: SECRET}) as exchange:
        go = tmp_path / "go"
        go.touch()
        steady = start_worker("sdk", exchange.url, 40, go, database)
        victim = start_worker("ccxt", exchange.url, 10_000, go, database)
        assert victim.stdout is not None
        for _ in range(15):
            assert victim.stdout.readline().strip() == "ok"
        victim.send_signal(signal.SIGKILL)
        victim.communicate()
        after_kill = len(exchange.calls)
        restarted = start_worker("ccxt", exchange.url, 20, go, database)
        out, err = restarted.communicate(timeout=300)
        assert restarted.returncode == 0, err
        assert out.split() == ["ok"] * 20
        steady_out, _ = steady.communicate(timeout=300)
        assert steady_out.split() == ["ok"] * 40
        victims = {row[0] for row in database.query(f"SELECT nonce FROM nonce_history WHERE pid = {victim.pid}")}
        later = [call for call in exchange.calls[after_kill:] if call.nonce not in victims]
        assert len(later) >= 20 and all(call.accepted for call in later)
        refused = [call.nonce for call in exchange.calls if not call.accepted]
        assert len(refused) <= 1 and set(refused) <= victims


def test_websocket_token_requests_take_the_streams_nonces(database: Database) -> None:
    """ccxt.pro and the SDK's websocket client authenticate with a private REST call."""
    import asyncio

    from noncestore.ccxt import ProKraken
    from noncestore.kraken_sdk import SpotWSClient

    async def main(url: str) -> None:
        store = NonceStore(database.location, stream=database.stream)
        pro = ProKraken({"apiKey": KEY, "secret": SECRET, "enableRateLimit": False}, store=store)
        pro.urls["api"] = {"public": url, "private": url}
        await pro.private_post_getwebsocketstoken()
        await pro.close()
        websocket = SpotWSClient(key=KEY, secret=SECRET, rest_url=url, store=store)
        await websocket.get_ws_token()
        await websocket.close()
        store.close()

    with KrakenStandIn(keys={KEY: SECRET}) as exchange:
        asyncio.run(main(exchange.url))
        assert exchange.accepted(KEY) == 2 and exchange.invalid_nonces(KEY) == 0
        assert all(len(str(call.nonce)) == 19 for call in exchange.calls)


def test_ledger_and_trade_history_calls_cost_two(database: Database) -> None:
    """The wrappers charge what Kraken counts: 2 for ledger and trade-history queries, 1 else
    (the clock stands still, so the counter shows every charge exactly)."""
    from noncestore.ccxt import Kraken
    from noncestore.kraken_sdk import User

    at = time.time_ns()
    store = NonceStore(database.location, stream=database.stream, tier=(20, 1.0), clock=lambda: at)
    with KrakenStandIn(keys={KEY: SECRET}) as exchange:
        ccxt_bot = Kraken({"apiKey": KEY, "secret": SECRET, "enableRateLimit": False}, store=store)
        ccxt_bot.urls["api"] = {"public": exchange.url, "private": exchange.url}
        sdk_bot = User(key=KEY, secret=SECRET, url=exchange.url, store=store)
        charged = []
        for call in (ccxt_bot.private_post_balance, ccxt_bot.private_post_ledgers, ccxt_bot.private_post_tradeshistory,
                     sdk_bot.get_account_balance, sdk_bot.get_ledgers_info, sdk_bot.get_trades_history):
            before = store.stats().rate_counter or 0.0
            call()
            charged.append((store.stats().rate_counter or 0.0) - before)
        assert exchange.accepted(KEY) == 6
    assert charged == [1.0, 2.0, 2.0, 1.0, 2.0, 2.0]
    store.close()
