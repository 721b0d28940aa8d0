"""The SQL contract, as the Swift suite checks it, on SQLite and PostgreSQL: shared
issuing, the API lock's exclusivity, the rate counter, jumps, refusals, kill -9."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import threading
import time
from typing import List

import pytest
from conftest import Database, child, cli, finish, nonce_bin

import noncestore
from noncestore import NonceStore, NonceStoreError, NonceStoreTimeout


def strictly_increasing(values: List[int]) -> bool:
    return all(b > a for a, b in zip(values, values[1:]))


def test_nonces_are_nanoseconds_and_strictly_increase(database: Database) -> None:
    with NonceStore(database.location, stream=database.stream) as store:
        before = time.time_ns()
        nonces = [store.next() for _ in range(200)]
    assert strictly_increasing(nonces)
    assert all(len(str(n)) == 19 for n in nonces)
    assert nonces[0] >= before - 5_000_000_000  # the server's clock on PostgreSQL: allow skew


def test_threads_never_share_a_nonce(database: Database) -> None:
    store = NonceStore(database.location, stream=database.stream)
    seen: List[List[int]] = []

    def work() -> None:
        seen.append([store.next() for _ in range(50)])

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    store.close()
    assert all(strictly_increasing(part) for part in seen)
    assert len({n for part in seen for n in part}) == 200


def test_processes_and_the_cli_share_one_sequence(database: Database) -> None:
    """Python processes and Swift CLI processes on one shared stream: every nonce distinct,
    each process's nonces increasing, every one recorded, `nonce verify` clean."""
    pythons = [child(database.location, database.stream, "issue", "60") for _ in range(3)]
    swifts = [subprocess.Popen([nonce_bin(), "next", "--stream",
                                database.stream, "--count", "60", "--db", database.location],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    parts = [[int(line) for line in finish(p)] for p in pythons + swifts]
    assert all(strictly_increasing(part) for part in parts)
    every = [n for part in parts for n in part]
    assert len(set(every)) == len(every) == 300
    with NonceStore(database.location, stream=database.stream) as store:
        assert store.stats().issued_total == 300
        assert store.next() > max(every)
    database.verify()


def test_two_stores_in_one_process_exclude_each_other(database: Database) -> None:
    first = NonceStore(database.location, stream=database.stream)
    second = NonceStore(database.location, stream=database.stream)
    entered, leave = threading.Event(), threading.Event()

    def hold() -> None:
        with first.api_lock():
            entered.set()
            leave.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    assert entered.wait(10)
    started = time.monotonic()
    with pytest.raises(NonceStoreTimeout, match="API lock of stream 'kraken'"):
        with second.api_lock(timeout=0.3):
            pass
    assert time.monotonic() - started >= 0.3
    leave.set()
    holder.join()
    with second.api_lock(timeout=5):
        assert second.next() > 0
    first.close()
    second.close()


def test_the_lock_is_reentrant_for_its_thread(database: Database) -> None:
    with NonceStore(database.location, stream=database.stream) as store:
        with store.api_lock():
            first = store.next()
            with store.api_lock(timeout=0):
                second = store.next()
        assert second > first


def test_two_processes_exclude_each_other_and_kill_9_frees_the_lock(database: Database) -> None:
    holder = child(database.location, database.stream, "hold-lock")
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    store = NonceStore(database.location, stream=database.stream)
    with pytest.raises(NonceStoreTimeout):
        with store.api_lock(timeout=0.3):
            pass
    holder.send_signal(signal.SIGKILL)
    holder.communicate()
    with store.api_lock(timeout=10):  # the kernel or the server let go with the process
        assert store.next() > 0
    store.close()


def test_locked_calls_of_several_processes_never_overlap(database: Database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Each child appends `enter PID NONCE` and `leave PID` to one file inside the lock: with
    the lock exclusive, the lines pair up, and the nonces rise in the order of the tenures
    (the order in which their calls would reach the exchange)."""
    journal = tmp_path / "journal"
    children = [child(database.location, database.stream, "locked-issue", "40", str(journal)) for _ in range(3)]
    for c in children:
        finish(c)
    lines = journal.read_text().splitlines()
    assert len(lines) == 240
    nonces = []
    for enter, leave in zip(lines[::2], lines[1::2]):
        _, pid, nonce = enter.split()
        assert leave == f"leave {pid}", (enter, leave)
        nonces.append(int(nonce))
    assert strictly_increasing(nonces)
    database.verify()


def test_the_rate_counter_is_shared_and_waits(database: Database) -> None:
    now = [time.time_ns()]
    slept: List[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += int(seconds * 1e9)

    options = dict(stream=database.stream, tier=(3, 1.0), clock=lambda: now[0], sleep=sleep)
    first = NonceStore(database.location, **options)
    second = NonceStore(database.location, **options)
    first.next()
    second.next()
    first.next()
    assert slept == []
    second.next()  # the fourth call on the key: one call's worth must decay first
    assert len(slept) == 1 and 0.99 <= slept[0] <= 1.01
    with first.api_lock(cost=2):  # the entry waits for two units; the body's nonce is that call
        first.next()
    assert round(sum(slept), 2) == 3.0
    assert first.stats().rate_counter == pytest.approx(3.0, abs=1e-6)
    with pytest.raises(ValueError, match="never fit"):
        first.api_lock(cost=4)
    first.close()
    second.close()


def test_jump_moves_the_floor_with_an_event(database: Database) -> None:
    with NonceStore(database.location, stream=database.stream) as store:
        before = store.next()
        floor = store.jump(seconds=60)
        assert floor >= before + 59_000_000_000
        assert store.next() > floor
        stats = store.stats()
        assert stats.jumps == 1 and stats.high_water_mark > floor
        with pytest.raises(ValueError):
            store.jump(seconds=-1)
    kinds = database.query("SELECT kind FROM nonce_events WHERE stream = 'kraken' ORDER BY at")
    assert [row[0] for row in kinds].count("jump") == 1


def test_an_exclusive_stream_is_refused(database: Database) -> None:
    store = NonceStore(database.location, stream="held-alone")
    for use in (store.next, lambda: store.jump(seconds=1), lambda: store.api_lock().__enter__()):
        with pytest.raises(NonceStoreError, match="'held-alone'.*exclusive"):
            use()
    store.close()


def test_a_missing_stream_is_refused_naming_the_fix(database: Database) -> None:
    with pytest.raises(NonceStoreError, match="no stream 'nope'.*nonce stream create nope --shared"):
        NonceStore(database.location, stream="nope", create=False)


def test_a_missing_stream_is_created_shared(database: Database) -> None:
    with NonceStore(database.location, stream="fresh") as store:
        first = store.next()
        assert store.stats().mode == "shared"
    swift = int(cli("next", "--stream", "fresh", "--db", database.location).stdout)
    assert swift > first


def test_a_newer_schema_is_refused_and_left_alone(database: Database) -> None:
    if database.backend == "sqlite":
        connection = sqlite3.connect(database.location)
        connection.execute("PRAGMA user_version = 99")
        connection.close()
        before = open(database.location, "rb").read()
        with pytest.raises(NonceStoreError, match="schema version 99, newer than this package supports"):
            NonceStore(database.location, stream=database.stream)
        assert open(database.location, "rb").read() == before
    else:
        import psycopg
        from noncestore._postgres import PostgresLocation
        location = PostgresLocation(database.location)
        with psycopg.connect(location.conninfo, autocommit=True) as connection:
            connection.execute(f'INSERT INTO "{location.schema}".schema_migrations VALUES (99, %s, 0)', ("future",))
        with pytest.raises(NonceStoreError, match="schema version 99, newer than this package supports"):
            NonceStore(database.location, stream=database.stream)


def test_kill_9_while_issuing_never_costs_a_nonce(database: Database) -> None:
    """A child issues as fast as it can and is killed; every nonce it printed (so used) is
    below the next one, and the database holds every one of them."""
    for _ in range(3):
        issuer = child(database.location, database.stream, "issue", "0")
        assert issuer.stdout is not None
        printed = [int(issuer.stdout.readline()) for _ in range(30)]
        issuer.send_signal(signal.SIGKILL)
        rest, _ = issuer.communicate()
        printed += [int(line) for line in rest.split() if line.isdigit()]
        with NonceStore(database.location, stream=database.stream) as store:
            assert store.next() > max(printed)
    database.verify()


def test_an_empty_file_is_refused_untouched(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "nonces.sqlite"
    path.write_bytes(b"")
    (tmp_path / "nonces.sqlite-wal").write_bytes(b"log")
    with pytest.raises(NonceStoreError, match="is empty but .*-wal beside it"):
        NonceStore(str(path), stream="kraken")
    assert path.read_bytes() == b"" and (tmp_path / "nonces.sqlite-wal").read_bytes() == b"log"


def test_a_missing_database_names_the_command_that_creates_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = str(tmp_path / "absent.sqlite")
    with pytest.raises(NonceStoreError, match="no database at .*nonce stream create kraken --shared"):
        NonceStore(path, stream="kraken", create=False)
    assert not os.path.exists(path)


def test_a_uri_that_is_not_postgresql_is_refused() -> None:
    with pytest.raises(NonceStoreError, match="neither a file path nor a postgresql:// URI"):
        NonceStore("mysql://somewhere/db", stream="kraken")


def test_the_package_exports_what_it_documents() -> None:
    for name in noncestore.__all__:
        assert hasattr(noncestore, name), name


def test_a_name_typed_precomposed_or_decomposed_is_one_stream(database: Database) -> None:
    composed, decomposed = "caf\u00e9", "cafe\u0301"
    cli("stream", "create", composed, "--shared", "--db", database.location)
    with NonceStore(database.location, stream=decomposed) as store:
        assert store.stream == composed
        first = store.next()
    second = int(cli("next", "--stream", decomposed, "--db", database.location).stdout)
    assert second > first
    assert [row[0] for row in database.query("SELECT stream FROM stream_state") if row[0].startswith("caf")] == [composed]


def test_an_empty_nonce_stream_variable_is_refused(database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NONCE_STREAM", "")
    with pytest.raises(NonceStoreError, match="NONCE_STREAM is set but empty"):
        NonceStore(database.location)
    with pytest.raises(NonceStoreError, match="empty"):
        NonceStore(database.location, stream="")
