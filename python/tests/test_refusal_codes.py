"""Each failure arrives with its own code, on SQLite and on PostgreSQL, as the Swift side
reports it: the refusals the package makes itself and those the database's SQL contract
makes (the schema's triggers on SQLite, its SQLSTATEs of class NS on PostgreSQL)."""

from __future__ import annotations

import fcntl
import os
import signal
import sqlite3
import uuid
from pathlib import Path
from typing import Callable

import pytest
from conftest import Database, child, cli, postgres_uri, with_schema

from noncestore import NonceStore, NonceStoreError, NonceStoreTimeout


def code_of(attempt: Callable[[], object]) -> str:
    with pytest.raises(NonceStoreError) as refused:
        attempt()
    print(f"{refused.value.code}: {refused.value}")  # shown with -s, or when a test fails
    return refused.value.code


def stream_id(database: Database, stream: str) -> int:
    return int(database.query(f"SELECT stream_id FROM stream_state WHERE stream = '{stream}'")[0][0])


def test_a_missing_stream_with_create_false_is_stream_not_found(database: Database) -> None:
    assert code_of(lambda: NonceStore(database.location, stream="nope", create=False)) == "stream_not_found"


def test_a_stream_deleted_under_an_open_store_is_stream_not_found(database: Database) -> None:
    store = NonceStore(database.location, stream="fresh")
    database.execute("DELETE FROM streams WHERE name = 'fresh'")  # no history yet: the schema allows it
    assert code_of(store.next) == "stream_not_found"
    store.close()


def test_an_exclusive_stream_is_mode_mismatch(database: Database) -> None:
    store = NonceStore(database.location, stream="held-alone")
    for use in (store.next, lambda: store.jump(seconds=1), lambda: store.api_lock().__enter__()):
        assert code_of(use) == "mode_mismatch"
    store.close()


def test_the_databases_own_refusal_of_an_exclusive_stream_is_mode_mismatch(database: Database) -> None:
    """Switched by hand under an open store, so that the store's check passes and the SQL
    contract refuses (NS002 on PostgreSQL, the trigger's words on SQLite)."""
    store = NonceStore(database.location, stream=database.stream)
    store.next()
    database.execute(f"UPDATE streams SET mode = 'exclusive' WHERE name = '{database.stream}'")
    assert code_of(store.next) == "mode_mismatch"
    assert code_of(lambda: store.jump(seconds=1)) == "mode_mismatch"
    store.close()


def test_a_jump_past_2_63_is_exhausted_and_an_overlong_label_an_invalid_argument(database: Database) -> None:
    with NonceStore(database.location, stream=database.stream) as store:
        assert code_of(lambda: store.jump(nanoseconds=2**63 - 1)) == "exhausted"
        assert code_of(lambda: store.next(label="x" * 1001)) == "invalid_argument"
        assert store.next(label="x" * 1000) > 0
        # A jump that is not forward never reaches the database from the public calls (a
        # ValueError first); the database's own refusal of it, NS005 on PostgreSQL:
        assert code_of(lambda: store._backend.jump(0, "not forward")) == "invalid_argument"


def test_a_stream_held_exclusively_is_stream_held(database: Database) -> None:
    """The claim a mode switch (or an exclusive holder) takes, held here by hand."""
    identity = stream_id(database, database.stream)
    if database.backend == "sqlite":
        from noncestore._filelocks import CLAIM_BASE, F_OFD_SETLK, flock_struct
        fd = os.open(database.location, os.O_RDWR)
        fcntl.fcntl(fd, F_OFD_SETLK, flock_struct(fcntl.F_WRLCK, CLAIM_BASE + identity))
        release = lambda: os.close(fd)  # noqa: E731
    else:
        import psycopg
        from noncestore._postgres import PostgresLocation
        from noncestore._postgres_lock_keys import lock_namespace
        location = PostgresLocation(database.location)
        holder = psycopg.connect(location.conninfo, autocommit=True)
        holder.execute("SELECT pg_advisory_lock(%s, %s)", (lock_namespace(f"noncestore claim {location.schema}"),
                                                           identity))
        # Unlocked first: the server frees a closed session's locks only when it reads the close.
        release = lambda: (holder.execute("SELECT pg_advisory_unlock_all()"), holder.close())  # noqa: E731
    try:
        assert code_of(lambda: NonceStore(database.location, stream=database.stream)) == "stream_held"
    finally:
        release()
    with NonceStore(database.location, stream=database.stream) as store:
        assert store.next() > 0


def test_an_api_lock_held_by_another_process_times_out_as_api_lock_timed_out(database: Database) -> None:
    holder = child(database.location, database.stream, "hold-lock")
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    try:
        with NonceStore(database.location, stream=database.stream) as store:
            with pytest.raises(NonceStoreTimeout) as refused:
                with store.api_lock(timeout=0.2):
                    pass
            assert refused.value.code == "api_lock_timed_out"
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.communicate()


def test_a_newer_schema_is_newer_schema(database: Database) -> None:
    if database.backend == "sqlite":
        connection = sqlite3.connect(database.location)
        connection.execute("PRAGMA user_version = 99")
        connection.close()
    else:
        database.execute("INSERT INTO schema_migrations VALUES (99, 'future', 0)")
    assert code_of(lambda: NonceStore(database.location, stream=database.stream)) == "newer_schema"


def test_a_closed_store_and_an_empty_name(database: Database) -> None:
    store = NonceStore(database.location, stream=database.stream)
    store.close()
    assert code_of(store.next) == "closed"
    assert code_of(lambda: NonceStore(database.location, stream="")) == "invalid_stream_name"


# -- PostgreSQL's own -----------------------------------------------------------------


def test_a_server_that_cannot_be_reached_is_cannot_connect() -> None:
    assert code_of(lambda: NonceStore("postgresql://nobody@127.0.0.1:1/none?schema=x", stream="k", wait=2)) \
        == "cannot_connect"


@pytest.fixture
def server_database() -> Database:
    return Database("postgres", with_schema(postgres_uri(), "py_" + uuid.uuid4().hex[:12]))


def test_a_session_ended_by_the_server_is_connection_lost(server_database: Database) -> None:
    database = server_database
    store = NonceStore(database.location, stream=database.stream)
    store.next()
    schema = database.location.rsplit("schema=", 1)[1]
    database.execute(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                     f"WHERE application_name = 'noncestore-python/{schema}'")
    assert code_of(store.next) == "connection_lost"
    store.close()


def test_a_read_only_server_is_read_only(server_database: Database) -> None:
    """Sessions read-only by setting (a URI's libpq `options`), as on a server whose role or
    database has default_transaction_read_only = on."""
    read_only = server_database.location + "&options=-c%20default_transaction_read_only%3Don"
    with NonceStore(read_only, stream=server_database.stream) as store:
        assert code_of(store.next) == "read_only"


def test_a_schema_of_other_tables_is_foreign_database() -> None:
    import psycopg
    from noncestore._postgres import PostgresLocation

    schema = "py_foreign_" + uuid.uuid4().hex[:8]
    uri = with_schema(postgres_uri(), schema)
    with psycopg.connect(PostgresLocation(uri).conninfo, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")
        connection.execute(f"CREATE TABLE {schema}.orders (id integer)")
    assert code_of(lambda: NonceStore(uri, stream="kraken")) == "foreign_database"
    assert code_of(lambda: NonceStore(uri + "&reply_timeout=0", stream="kraken")) == "invalid_argument"


# -- SQLite's files -------------------------------------------------------------------


def test_what_is_wrong_with_a_file_has_its_code(tmp_path: Path) -> None:
    def refused(name: str, make: Callable[[Path], object], create: bool = True) -> str:
        path = tmp_path / name
        make(path)
        return code_of(lambda: NonceStore(str(path), stream="kraken", create=create))

    assert refused("absent.sqlite", lambda p: None, create=False) == "cannot_open"
    assert refused("empty.sqlite", lambda p: p.write_bytes(b"")) == "empty_file"
    assert refused("text.sqlite", lambda p: p.write_bytes(b"not a database, a note" * 10)) == "not_a_database"
    assert refused("moved.sqlite", lambda p: Path(str(p) + "-wal").write_bytes(b"a log")) == "database_moved"

    def another_application(path: Path) -> None:
        connection = sqlite3.connect(str(path))
        connection.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY)")
        connection.close()

    assert refused("orders.sqlite", another_application) == "foreign_database"

    def linked(path: Path) -> None:
        cli("stream", "create", "kraken", "--shared", "--db", str(path))
        os.link(path, tmp_path / "second-name.sqlite")

    assert refused("linked.sqlite", linked) == "hard_linked"


def test_a_database_locked_for_the_whole_wait_is_busy(sqlite_database: Database) -> None:
    store = NonceStore(sqlite_database.location, stream="kraken", wait=0.2)
    holder = sqlite3.connect(sqlite_database.location, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        assert code_of(store.next) == "busy"
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        store.close()


def test_a_deleted_streams_history_is_orphaned_history(tmp_path: Path) -> None:
    path = str(tmp_path / "nonces.sqlite")
    with NonceStore(path, stream="old") as store:
        store.next()
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("DROP TRIGGER streams_keep_history")
    connection.execute("DELETE FROM streams WHERE name = 'old'")
    connection.close()
    assert code_of(lambda: NonceStore(path, stream="new")) == "orphaned_history"
