"""Real ccxt clients of Kraken, Bitfinex and Gemini, made by `noncestore.ccxt.exchange`,
against stand-ins that enforce each exchange's published nonce rule: several processes
(sync and asyncio) on one key get no invalid nonce with a stream, and do without one (the
negative control); a Bitfinex stream near its ceiling sends nothing above it, and each
process is told `exhausted`."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

import pytest
from bitfinex_standin import BitfinexStandIn
from conftest import HERE
from gemini_standin import GeminiStandIn
from kraken_standin import KrakenStandIn

from noncestore import NonceStore

# Up to 5 ms between a request leaving and the exchange judging it, at random, as on a
# network: requests of different processes signed close together may arrive out of order.
# Without a stream this is what gets ccxt's own nonces refused; with one, the API lock held
# until the answer keeps every request in issuing order.
JITTER_S = 0.005
# Per exchange: its API key (Gemini's ccxt client wants an account key), its secret (Kraken's
# is base64), and its stand-in.
VENUES: Dict[str, Tuple[str, str, Callable[[str, str], Any]]] = {
    "kraken": ("kraken-key", base64.b64encode(bytes(range(64))).decode(),
               lambda k, s: KrakenStandIn(keys={k: s}, arrival_jitter_s=JITTER_S)),
    "bitfinex": ("bitfinex-key", "bitfinex-secret", lambda k, s: BitfinexStandIn({k: s}, JITTER_S)),
    "gemini": ("account-gemini-key", "gemini-secret", lambda k, s: GeminiStandIn({k: s}, JITTER_S)),
}
FLAVOURS = ["sync", "asyncio", "sync", "asyncio"]  # one process each, started together


def accepted_nonces(venue: str, exchange: Any) -> List[int]:
    key = VENUES[venue][0]
    if venue == "kraken":
        return [call.nonce for call in exchange.calls if call.key == key and call.accepted]
    return exchange.log.accepted_nonces(key)


def start_worker(venue: str, url: str, calls: int, ready: Path, go: Path, asyncio: bool, location: Optional[str],
                 stream: str) -> subprocess.Popen:
    key, secret, _ = VENUES[venue]
    arguments = [sys.executable, str(HERE / "exchange_worker.py"), venue, url, key, secret, str(calls),
                 "--ready", str(ready), "--go", str(go)]
    if location is not None:
        arguments += ["--db", location, "--stream", stream]
    if asyncio:
        arguments.append("--asyncio")
    environment = {**os.environ, "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}
    return subprocess.Popen(arguments, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment)


def run_workers(venue: str, url: str, tmp_path: Path, calls: int, location: Optional[str] = None,
                stream: str = "key") -> List[List[str]]:
    """One process per entry of FLAVOURS, calling together once all are ready; each one's
    outcome lines."""
    ready, go = tmp_path / f"ready-{venue}", tmp_path / f"go-{venue}"
    ready.mkdir(exist_ok=True)
    for entry in ready.iterdir():
        entry.unlink()
    go.unlink(missing_ok=True)
    workers = [start_worker(venue, url, calls, ready, go, flavour == "asyncio", location, stream)
               for flavour in FLAVOURS]
    deadline = time.monotonic() + 120
    while len(list(ready.iterdir())) < len(workers):
        assert time.monotonic() < deadline and all(w.poll() is None for w in workers), "a worker did not start"
        time.sleep(0.01)
    go.touch()
    outputs = []
    for worker in workers:
        out, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err
        outputs.append(out.splitlines())
    return outputs


@pytest.mark.parametrize("venue", sorted(VENUES))
def test_processes_through_noncestore_get_no_invalid_nonce(venue: str, new_location: str, tmp_path: Path) -> None:
    key, secret, stand_in = VENUES[venue]
    NonceStore(new_location, stream="key", exchange=venue).close()
    with stand_in(key, secret) as exchange:
        outputs = run_workers(venue, exchange.url, tmp_path, calls=40, location=new_location)
        assert exchange.invalid_nonces(key) == 0
        sent = accepted_nonces(venue, exchange)
    assert all(line == "ok" for lines in outputs for line in lines) and sum(map(len, outputs)) == 160
    assert len(sent) == len(set(sent)) == 160
    assert all(len(str(nonce)) == 13 for nonce in sent)  # the preset's milliseconds, as ccxt sends
    with NonceStore(new_location, stream="key") as store:
        assert store.stats().issued_total == 160  # exactly one nonce per request


@pytest.mark.parametrize("venue", sorted(VENUES))
def test_ccxts_own_nonces_in_several_processes_are_refused(venue: str, tmp_path: Path) -> None:
    """The negative control: ccxt's own millisecond nonces, incremented per exchange object,
    from processes that know nothing of each other."""
    key, secret, stand_in = VENUES[venue]
    with stand_in(key, secret) as exchange:
        outputs = run_workers(venue, exchange.url, tmp_path, calls=40)
        invalid = exchange.invalid_nonces(key)
    refusals = sum(1 for lines in outputs for line in lines if line.startswith("InvalidNonce"))
    assert invalid > 0
    assert refusals == invalid  # the clients saw them as errors too


def test_a_bitfinex_stream_near_its_ceiling_sends_nothing_above_it(new_location: str, tmp_path: Path) -> None:
    """A ceiling an hour ahead of the clock, and the stream's floor jumped to a few hundred
    below it, so that the clock plays no part: the processes issue until the stream refuses,
    each is told `exhausted`, every nonce up to the ceiling is sent once and none above it.
    A process started afterwards is refused at once."""
    key, secret, stand_in = VENUES["bitfinex"]
    ceiling = time.time_ns() // 1_000_000 + 3_600_000
    with NonceStore(new_location, stream="key", exchange="bitfinex", max_nonce=ceiling) as store:
        floor = store.jump(nanoseconds=(ceiling - 300 - time.time_ns() // 1_000_000) * 1_000_000)
    assert 0 < ceiling - floor <= 300
    with stand_in(key, secret) as exchange:
        outputs = run_workers("bitfinex", exchange.url, tmp_path, calls=100_000, location=new_location)
        late = run_workers("bitfinex", exchange.url, tmp_path, calls=1, location=new_location)
        assert exchange.invalid_nonces(key) == 0
        assert all(call.nonce is not None and call.nonce <= ceiling for call in exchange.log.calls)
        sent = accepted_nonces("bitfinex", exchange)
    for lines in outputs:
        assert lines[-1] == "exhausted" and all(line == "ok" for line in lines[:-1]), lines[-3:]
    assert all(lines == ["exhausted"] for lines in late)
    assert sorted(sent) == list(range(floor + 1, ceiling + 1))
    with NonceStore(new_location, stream="key") as store:
        stats = store.stats()
    assert stats.last_issued == ceiling and stats.issued_total == len(sent)
