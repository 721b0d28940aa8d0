"""The details the Swift side and the SQL contract agree on: the lock bytes, forks, the
shared claim, the counter's exact arithmetic (shared with the CLI), a busy database."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from typing import Dict, List

import pytest
from conftest import Database, cli

from noncestore import COST_HISTORY, NonceStore, NonceStoreError, NonceStoreTimeout
from noncestore import _filelocks
from noncestore._filelocks import API_LOCK_BASE, CLAIM_BASE


class FakeClock:
    """Stands still unless moved; `sleep` moves it."""

    def __init__(self) -> None:
        self.now = time.time_ns()
        self.slept: List[float] = []

    def __call__(self) -> int:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += round(seconds * 1e9)


def state(database: Database, stream: str = "kraken") -> Dict[str, object]:
    with NonceStore(database.location, stream=stream) as store:
        return store.stats().row


def holder_type(path: str, offset: int) -> int:
    key, fd = _filelocks.borrow(path)  # never close a descriptor of the database: pooled
    try:
        return _filelocks.holder_type(fd, offset)
    finally:
        _filelocks.give_back(key, fd)


def test_the_locks_are_the_bytes_the_swift_side_locks(sqlite_database: Database) -> None:
    store = NonceStore(sqlite_database.location, stream="kraken")
    stream_id = int(state(sqlite_database)["stream_id"])  # type: ignore[call-overload]
    assert holder_type(sqlite_database.location, CLAIM_BASE + stream_id) == fcntl.F_RDLCK
    assert holder_type(sqlite_database.location, API_LOCK_BASE + stream_id) == fcntl.F_UNLCK
    with store.api_lock():
        assert holder_type(sqlite_database.location, API_LOCK_BASE + stream_id) == fcntl.F_WRLCK
    assert holder_type(sqlite_database.location, API_LOCK_BASE + stream_id) == fcntl.F_UNLCK
    store.close()
    assert holder_type(sqlite_database.location, CLAIM_BASE + stream_id) == fcntl.F_UNLCK


def test_a_forked_child_is_a_process_of_its_own(database: Database) -> None:
    store = NonceStore(database.location, stream=database.stream)
    reader, writer = os.pipe()
    with store.api_lock():
        parent_nonce = store.next()
        pid = os.fork()
        if pid == 0:  # forked inside the parent's body, on the same thread id
            try:
                try:
                    with store.api_lock(timeout=0.2):
                        answer = b"took"
                except NonceStoreTimeout:
                    answer = b"timed out " + str(store.next()).encode()
                os.write(writer, answer)
            finally:
                os._exit(0)
        os.close(writer)
        answer = os.read(reader, 100)
        os.waitpid(pid, 0)
    os.close(reader)
    assert answer.startswith(b"timed out ")
    assert int(answer.split()[-1]) > parent_nonce  # the child issues on a connection of its own
    assert store.next() > int(answer.split()[-1])
    store.close()


def test_a_forked_child_outliving_its_parent_issues_above_everyone(database: Database) -> None:
    """The child must not lean on its parent's connection or locks: the parent closes, another
    process jumps and issues, and the child's next nonce is still above all of them."""
    store = NonceStore(database.location, stream=database.stream)
    store.next()
    to_child_r, to_child_w = os.pipe()
    from_child_r, from_child_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.read(to_child_r, 1)  # until the others are done
            os.write(from_child_w, str(store.next()).encode())
        finally:
            os._exit(0)
    store.close()
    with NonceStore(database.location, stream=database.stream) as other:
        other.jump(seconds=60)
        others = [other.next() for _ in range(5)]
    os.write(to_child_w, b"x")
    answer = int(os.read(from_child_r, 100))
    os.waitpid(pid, 0)
    for fd in (to_child_r, to_child_w, from_child_r, from_child_w):
        os.close(fd)
    assert answer > max(others)
    with NonceStore(database.location, stream=database.stream) as after:
        assert after.next() > answer
        assert after.stats().issued_total == 8
    database.verify()


def test_an_open_store_keeps_the_stream_shared(database: Database) -> None:
    store = NonceStore(database.location, stream=database.stream)
    switch = cli("stream", "set-mode", database.stream, "exclusive", "--db", database.location, check=False)
    assert switch.returncode != 0, "the stream was switched under an open store"
    assert state(database)["mode"] == "shared"
    store.close()
    cli("stream", "set-mode", database.stream, "exclusive", "--db", database.location)
    refused = NonceStore(database.location, stream=database.stream)  # opening takes no claim on it
    cli("next", "--stream", database.stream, "--db", database.location)  # so its holder can start
    with pytest.raises(NonceStoreError, match="exclusive"):
        refused.next()
    refused.close()


def test_takes_raise_the_counter_as_swift_computes_it(database: Database) -> None:
    clock = FakeClock()
    start = clock.now
    store = NonceStore(database.location, stream=database.stream, tier="pro", clock=clock, sleep=clock.sleep)
    for _ in range(3):
        store.next()
    row = state(database)
    assert (row["rate_counter"], row["rate_counter_at"]) == (3.0, start)
    store.next(apply_rate_limiting=False)
    assert state(database)["rate_counter"] == 3.0
    clock.now += 1_500_000_000  # decays 1.5
    store.next(cost=COST_HISTORY)
    row = state(database)
    assert (row["rate_counter"], row["rate_counter_at"]) == (3.5, start + 1_500_000_000)
    for _ in range(16):
        store.next()
    assert state(database)["rate_counter"] == 19.5 and clock.slept == []
    store.next()  # 0.5 over the maximum of 20: waits 0.5 s at 1/s, then fits
    assert clock.slept == [0.5]
    row = state(database)
    assert (row["rate_counter"], row["rate_counter_at"]) == (20.0, start + 2_000_000_000)
    clock.now -= 5_000_000_000  # a clock that steps back decays nothing and keeps updated_at
    store.next()  # so the take waits until the clock is 1 s past the saved reading again
    assert clock.slept == [0.5] + [1.0] * 6
    row = state(database)
    assert (row["rate_counter"], row["rate_counter_at"]) == (20.0, start + 3_000_000_000)
    store.close()


def test_an_api_lock_body_holds_its_charge_when_it_ends(database: Database) -> None:
    clock = FakeClock()
    start = clock.now
    store = NonceStore(database.location, stream=database.stream, tier="pro", clock=clock, sleep=clock.sleep)
    with store.api_lock():
        store.next()  # the call the lock paid for: not charged again
        assert state(database)["rate_counter"] == 1.0
        clock.now += 500_000_000
    row = state(database)  # decayed to 0.5 by the body's end, and the 0.5 since the take held back
    assert (row["rate_counter"], row["rate_counter_at"]) == (1.0, start + 500_000_000)
    with store.api_lock():
        store.next()
        store.next()  # a second call in the body is charged
        assert state(database)["rate_counter"] == 3.0
        clock.now += 3_000_000_000
    row = state(database)  # 3 decayed to 0 over 3 s; the held part is at most the lock's cost
    assert (row["rate_counter"], row["rate_counter_at"]) == (1.0, start + 3_500_000_000)
    with store.api_lock(apply_rate_limiting=False):
        clock.now += 1_000_000_000
    assert state(database)["rate_counter"] == 1.0  # nothing taken, nothing held: the row is unchanged
    store.close()


def test_the_cli_and_python_share_one_counter(database: Database) -> None:
    before = time.time_ns()
    store = NonceStore(database.location, stream=database.stream, tier="pro", clock=lambda: before)
    for _ in range(3):
        store.next()
    cli("next", "--stream", database.stream, "--tier", "pro", "--count", "5", "--db", database.location)
    row = state(database)
    level, at = float(row["rate_counter"]), int(row["rate_counter_at"])  # type: ignore[arg-type]
    assert at > before
    if at - before < 3_000_000_000:  # 3 + 5 calls, decayed at 1/s from Python's first take to the CLI's last
        assert level == pytest.approx(8 - (at - before) / 1e9, abs=1e-6)
    store.close()
    after = time.time_ns()
    store = NonceStore(database.location, stream=database.stream, tier="pro", clock=lambda: after)
    store.next(cost=2)
    assert float(state(database)["rate_counter"]) == pytest.approx(  # type: ignore[arg-type]
        max(0.0, level - (after - at) / 1e9) + 2, abs=1e-9)
    store.close()


def test_a_database_locked_for_the_whole_wait_is_an_error_naming_the_wait(sqlite_database: Database) -> None:
    store = NonceStore(sqlite_database.location, stream="kraken", wait=0.3)
    holder = sqlite3.connect(sqlite_database.location, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    with pytest.raises(NonceStoreError, match=r"stayed locked .* 0\.3 s"):
        store.next()
    results: List[int] = []
    waiting = threading.Thread(target=lambda: results.append(
        NonceStore(sqlite_database.location, stream="kraken", wait=30).next()))
    waiting.start()
    time.sleep(0.2)
    holder.execute("COMMIT")
    waiting.join()
    holder.close()
    assert len(results) == 1 and store.next() > results[0]
    store.close()




def test_a_waiting_entry_takes_its_charge_only_once_it_holds_the_lock(database: Database) -> None:
    """A charge taken while waiting for the lock would decay before its call arrived."""
    clock = FakeClock()
    holder = NonceStore(database.location, stream=database.stream, tier=(5, 1.0), clock=clock, sleep=clock.sleep)
    waiter = NonceStore(database.location, stream=database.stream, tier=(5, 1.0), clock=clock, sleep=clock.sleep)
    inside, leave, done = threading.Event(), threading.Event(), threading.Event()

    def hold() -> None:
        with holder.api_lock():
            holder.next()
            inside.set()
            leave.wait(10)

    def wait() -> None:
        with waiter.api_lock():
            waiter.next()
        done.set()

    threads = [threading.Thread(target=hold), threading.Thread(target=wait)]
    threads[0].start()
    assert inside.wait(10)
    threads[1].start()
    time.sleep(0.3)  # the waiter has asked for the lock by now
    assert not done.is_set()
    assert state(database)["rate_counter"] == 1.0, "the waiting entry took a charge before holding the lock"
    leave.set()
    for thread in threads:
        thread.join()
    assert state(database)["rate_counter"] == 2.0
    holder.close()
    waiter.close()
