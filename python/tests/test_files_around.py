"""What happens around the database file, as the Swift side guards it: a log left without
its database, another program's live database, a database moved under a running store."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

import pytest
from conftest import cli

from noncestore import NonceStore, NonceStoreError


def test_a_log_without_its_database_is_refused_and_nothing_is_created(tmp_path: Path) -> None:
    path = tmp_path / "nonces.sqlite"
    (tmp_path / "nonces.sqlite-wal").write_bytes(b"the newest commits of a moved database")
    with pytest.raises(NonceStoreError, match="is missing but .*nonces.sqlite-wal"):
        NonceStore(str(path), stream="kraken")
    assert not path.exists()
    assert (tmp_path / "nonces.sqlite-wal").read_bytes() == b"the newest commits of a moved database"


def test_another_programs_live_database_is_left_byte_identical(tmp_path: Path) -> None:
    path = tmp_path / "orders.sqlite"
    other = sqlite3.connect(str(path), isolation_level=None)
    try:
        other.execute("PRAGMA journal_mode=WAL")
        other.execute("PRAGMA wal_autocheckpoint=0")
        other.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, pair TEXT)")
        other.execute("INSERT INTO orders (pair) VALUES ('XBTUSD')")
        files = [path, Path(str(path) + "-wal"), Path(str(path) + "-shm")]
        before = [f.read_bytes() for f in files]
        with pytest.raises(NonceStoreError, match="another application"):
            NonceStore(str(path), stream="kraken")
        assert [f.read_bytes() for f in files] == before
        other.execute("INSERT INTO orders (pair) VALUES ('ETHUSD')")
        assert other.execute("SELECT count(*) FROM orders").fetchone()[0] == 2
    finally:
        other.close()


def test_a_store_whose_database_was_moved_stops_issuing(tmp_path: Path) -> None:
    path = tmp_path / "nonces.sqlite"
    cli("stream", "create", "kraken", "--shared", "--db", str(path))
    store = NonceStore(str(path), stream="kraken")
    try:
        first = store.next()
        os.rename(path, tmp_path / "moved.sqlite")
        with pytest.raises(NonceStoreError, match="no longer leads to the database this process has open"):
            store.next()
    finally:
        store.close()
    # The moved database continues above it, or, while the log its last writes went to is
    # still at the old path, refuses until it is back there.
    moved = cli("next", "--stream", "kraken", "--db", str(tmp_path / "moved.sqlite"), check=False)
    if moved.returncode != 0:
        assert "was last used as" in moved.stderr
        os.rename(tmp_path / "moved.sqlite", path)
        moved = cli("next", "--stream", "kraken", "--db", str(path))
    assert int(moved.stdout) > first


def test_leftovers_of_a_killed_creation_are_removed_and_a_live_creators_kept(tmp_path: Path) -> None:
    gone = subprocess.Popen(["true"])
    gone.wait()
    dead = f".nonces.sqlite.creating-{gone.pid}-a1b2c3d4"
    live = f".nonces.sqlite.creating-{os.getpid()}-0f0f0f0f"
    names = [dead, dead + "-wal", dead + "-shm", dead + "-journal", live, ".nonces.sqlite.creating-notes"]
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    with NonceStore(str(tmp_path / "nonces.sqlite"), stream="kraken") as store:
        store.next()
    left = set(os.listdir(tmp_path))
    assert left.isdisjoint(names[:4])
    assert {live, ".nonces.sqlite.creating-notes"} <= left
