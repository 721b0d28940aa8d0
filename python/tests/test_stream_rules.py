"""A stream's rules on SQLite and PostgreSQL: the unit it issues in, its ceiling, the exchange
preset it came from; what opening a stream with other rules does, and which exchanges are
refused a stream at all (their nonce is a timestamp window, or random)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

import pytest
from conftest import child, finish

from noncestore import NonceStore, NonceStoreError
from noncestore._sqlite import SCHEMA_VERSION

BITFINEX_CEILING = 9007199254740991  # 2^53 - 1, Bitfinex's stated limit


def strictly_increasing(values: List[int]) -> bool:
    return all(b > a for a, b in zip(values, values[1:]))


def refusal(open_store: Callable[[], object]) -> NonceStoreError:
    with pytest.raises(NonceStoreError) as refused:
        open_store()
    return refused.value


def nothing_was_created(location: str) -> bool:
    return refusal(lambda: NonceStore(location, stream="any", create=False)).code == "cannot_open"


def test_a_ms_stream_issues_13_digit_nonces_that_strictly_increase(new_location: str) -> None:
    with NonceStore(new_location, stream="k", unit="ms") as store:
        before_ms = time.time_ns() // 1_000_000
        nonces = [store.next() for _ in range(100)]
        assert store.stats().unit == "ms"
    assert strictly_increasing(nonces)
    assert all(len(str(n)) == 13 for n in nonces)
    assert nonces[0] >= before_ms - 5_000  # the server's clock on PostgreSQL: allow skew


def test_processes_on_a_ms_stream_share_one_sequence(new_location: str) -> None:
    """Children open the stream without rules: they take the ones it was created with."""
    NonceStore(new_location, stream="k", unit="ms").close()
    parts = [[int(line) for line in finish(p)] for p in [child(new_location, "k", "issue", "50") for _ in range(3)]]
    every = [n for part in parts for n in part]
    assert all(strictly_increasing(part) for part in parts)
    assert len(set(every)) == 150 and all(len(str(n)) == 13 for n in every)


def test_a_jump_of_60_s_moves_a_ms_stream_by_60000(new_location: str) -> None:
    with NonceStore(new_location, stream="k", unit="ms") as store:
        before = store.next()
        started = time.monotonic()
        floor = store.jump(seconds=60)
        elapsed_ms = int((time.monotonic() - started) * 1000) + 1
        # From max(last, now): `before` is about now, give or take the call's time and skew.
        assert 60_000 <= floor - before <= 60_000 + elapsed_ms + 5_000
        assert store.next() == floor + 1
        assert store.jump(nanoseconds=1) == floor + 2  # a part of a unit counts as a whole one
        assert store.stats().unit == "ms"


def test_exchange_bitfinex_creates_a_ms_stream_with_its_ceiling(new_location: str) -> None:
    with NonceStore(new_location, stream="bfx", exchange="bitfinex") as store:
        stats = store.stats()
        nonce = store.next()
    assert (stats.unit, stats.max_nonce, stats.exchange) == ("ms", BITFINEX_CEILING, "bitfinex")
    assert len(str(nonce)) == 13
    # The preset's unit and ceiling give way to the call's own.
    with NonceStore(new_location, stream="bfx-us", exchange="bitfinex", unit="us") as store:
        stats = store.stats()
    assert (stats.unit, stats.max_nonce, stats.exchange) == ("us", BITFINEX_CEILING, "bitfinex")


def test_a_window_exchange_is_refused_saying_why_and_nothing_is_created(new_location: str) -> None:
    refused = refusal(lambda: NonceStore(new_location, stream="b", exchange="binance"))
    assert refused.code == "invalid_argument"
    assert "binance" in str(refused) and "runs ahead of the clock" in str(refused) and "refused" in str(refused)
    assert nothing_was_created(new_location)


def test_a_random_nonce_exchange_and_an_unknown_one_are_refused(new_location: str) -> None:
    random_nonce = refusal(lambda: NonceStore(new_location, stream="c", exchange="coinbase"))
    assert random_nonce.code == "invalid_argument" and "nothing to count" in str(random_nonce)
    unknown = refusal(lambda: NonceStore(new_location, stream="c", exchange="nowhere"))
    assert unknown.code == "invalid_argument"
    assert "'nowhere'" in str(unknown) and all(known in str(unknown) for known in ("kraken", "bitfinex", "binance"))
    assert nothing_was_created(new_location)


@pytest.mark.parametrize("arguments", [{"unit": "min"}, {"unit": "NS"}, {"max_nonce": 0}, {"max_nonce": -5},
                                       {"max_nonce": 1 << 63}, {"max_nonce": True}, {"max_nonce": 1.5}])
def test_a_wrong_unit_or_ceiling_is_refused(tmp_path: Path, arguments: dict) -> None:
    location = str(tmp_path / "nonces.sqlite")
    assert refusal(lambda: NonceStore(location, stream="k", **arguments)).code == "invalid_argument"
    assert nothing_was_created(location)


def test_an_existing_stream_opened_with_other_rules_is_refused_naming_both(new_location: str) -> None:
    NonceStore(new_location, stream="bfx", exchange="bitfinex").close()
    other_rules: List[Tuple[Dict[str, Any], str]] = [
        ({"unit": "us"}, "not in us"), ({"max_nonce": 5}, "not with ceiling 5"),
        ({"exchange": "kraken"}, "not with no ceiling below 2^63-1"),
        ({"unit": "ns", "max_nonce": 7}, "not in ns with ceiling 7")]
    for arguments, asked in other_rules:
        refused = refusal(lambda: NonceStore(new_location, stream="bfx", **arguments))
        assert refused.code == "invalid_argument"
        assert "stream 'bfx' in '" in str(refused)
        assert f"issues in ms with ceiling {BITFINEX_CEILING}, {asked}" in str(refused), str(refused)
    # The same rules, or none: the stream as it is.
    same_rules: List[Dict[str, Any]] = [{}, {"exchange": "bitfinex"}, {"unit": "ms"},
                                        {"max_nonce": BITFINEX_CEILING}]
    for arguments in same_rules:
        with NonceStore(new_location, stream="bfx", **arguments) as store:
            assert store.stats().unit == "ms"


def test_a_nanosecond_stream_is_not_opened_as_a_kraken_preset(new_location: str) -> None:
    """A key that has seen 19-digit nonces would refuse the preset's milliseconds for good."""
    NonceStore(new_location, stream="kraken").close()
    refused = refusal(lambda: NonceStore(new_location, stream="kraken", exchange="kraken"))
    assert refused.code == "invalid_argument" and "issues in ns with no ceiling below 2^63-1, not in ms" in str(refused)
    with NonceStore(new_location, stream="kraken", exchange="kraken", unit="ns") as store:
        assert len(str(store.next())) == 19


def test_a_stream_at_its_ceiling_is_exhausted_and_issues_nothing_above_it(new_location: str) -> None:
    # An hour ahead, and the floor jumped to 3 below it: the clock plays no part, so the
    # stream issues exactly floor+1 ... ceiling however loaded the machine is.
    ceiling = time.time_ns() // 1_000_000_000 + 3_600
    with NonceStore(new_location, stream="k", unit="s", max_nonce=ceiling) as store:
        floor = store.jump(seconds=ceiling - 3 - time.time_ns() // 1_000_000_000)
        assert ceiling - 3 <= floor < ceiling
        issued = []
        with pytest.raises(NonceStoreError) as refused:
            for _ in range(10):
                issued.append(store.next())
        assert refused.value.code == "exhausted"
        assert "ceiling" in str(refused.value) and "2^63-1" in str(refused.value)
        assert issued == list(range(floor + 1, ceiling + 1))
        for attempt in (store.next, lambda: store.jump(seconds=1)):
            assert refusal(attempt).code == "exhausted"
        assert store.stats().last_issued == ceiling


def test_a_database_older_than_stream_rules_holds_only_nanosecond_streams(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Schema 8, as a `nonce` command before stream rules made it: a stream without rules is
    created and issues nanoseconds; one with rules needs the file upgraded first."""
    from noncestore import _create

    every_file = _create.schema_files(SCHEMA_VERSION)
    monkeypatch.setattr(_create, "schema_files", lambda newest: every_file[:newest])
    path = str(tmp_path / "nonces.sqlite")
    _create.create_database(path, 8)
    monkeypatch.undo()
    refused = refusal(lambda: NonceStore(path, stream="bfx", exchange="bitfinex"))
    assert refused.code == "invalid_argument" and "schema version 8, older than stream rules" in str(refused)
    with NonceStore(path, stream="plain", unit="ns") as store:
        assert len(str(store.next())) == 19
        stats = store.stats()
    assert (stats.unit, stats.max_nonce, stats.exchange) == ("ns", None, None)
