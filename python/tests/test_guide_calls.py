"""The migration guide's calls, as a bot that changed only its import line uses them."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Iterator, List

import pytest
from conftest import Database

import noncestore


@pytest.fixture
def global_stream(database: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    monkeypatch.setenv("NONCE_DB", database.location)
    monkeypatch.setenv("NONCE_STREAM", database.stream)
    monkeypatch.delenv("NONCE_TIER", raising=False)
    noncestore.reset_global_nonce_manager()
    yield database
    noncestore.reset_global_nonce_manager()


def test_the_guide_calls_issue_from_the_stream(global_stream: Database) -> None:
    first = noncestore.get_kraken_nonce("account-ignored")
    second = noncestore.get_global_kraken_nonce()
    third = noncestore.get_global_nonce_manager().get_nonce()
    fourth = noncestore.get_global_nonce_manager().get_nonce(apply_rate_limiting=False)
    assert first < second < third < fourth
    assert len(str(fourth)) == 19
    stats = noncestore.get_global_nonce_stats()
    assert stats["issued_total"] == 4 and stats["mode"] == "shared" and stats["last_issued"] == fourth
    assert "lead_over_clock_ns" in stats


def test_jump_forward_takes_nanoseconds(global_stream: Database) -> None:
    manager = noncestore.get_global_nonce_manager()
    floor = manager.jump_forward(60_000_000_000)
    assert floor >= time.time_ns() + 55_000_000_000
    assert manager.get_nonce() > floor


def test_the_api_lock_object_works_both_ways(global_stream: Database) -> None:
    lock = noncestore.get_kraken_api_lock()
    with lock:
        inside = noncestore.get_global_nonce_manager().get_nonce()
    assert lock.acquire() is True
    try:
        assert noncestore.get_kraken_nonce() > inside
    finally:
        lock.release()


def test_a_thousand_threads_never_collide(global_stream: Database) -> None:
    """The guide's own claim ("tested with 1000 concurrent threads"), kept."""
    manager = noncestore.get_global_nonce_manager()
    seen: List[int] = []
    guard = threading.Lock()
    start = threading.Barrier(50)

    def work() -> None:
        start.wait()
        mine = [manager.get_nonce() for _ in range(20)]
        with guard:
            seen.extend(mine)

    threads = [threading.Thread(target=work) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(seen)) == 1000


def test_configure_once(global_stream: Database) -> None:
    noncestore.configure_global_nonce_manager(db=global_stream.location, stream=global_stream.stream, tier="pro")
    assert noncestore.get_global_nonce_manager().rate_limit == noncestore.TIERS["pro"]
    with pytest.raises(noncestore.NonceStoreError, match="already set up"):
        noncestore.configure_global_nonce_manager()


def test_the_tier_comes_from_the_environment(global_stream: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NONCE_TIER", "starter")
    noncestore.reset_global_nonce_manager()
    assert noncestore.get_global_nonce_manager().rate_limit == noncestore.TIERS["starter"]


def test_the_manager_takes_a_streams_rules(tmp_path: Path) -> None:
    manager = noncestore.NonceStoreManager(str(tmp_path / "nonces.sqlite"), stream="bitfinex", exchange="bitfinex")
    try:
        assert len(str(manager.get_nonce())) == 13
        stats = manager.get_stats()
        assert (stats["unit"], stats["max_nonce"], stats["exchange"]) == ("ms", 9007199254740991, "bitfinex")
    finally:
        manager.close()
