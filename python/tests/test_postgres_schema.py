"""A PostgreSQL schema created by Python is the one the CLI creates, from the same files and
under the same lock: Python and Swift processes creating one schema at once all succeed, an
older schema is upgraded as the Swift side upgrades it, and each side issues on the
other's schema above the other's nonces."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any, Dict, List

import pytest
from conftest import cli, nonce_bin, postgres_uri, with_schema

from noncestore import NonceStore, NonceStoreError
from noncestore._postgres_schema import SCHEMA_VERSION

VERSIONS = [(1, "0001_postgres_initial.sql"), (2, "0002_event_floors.sql"), (3, "0003_stream_rules.sql"),
            (4, "0004_history_seconds.sql")]

# The catalog of one schema, each object with what defines it. Ordered, so that two equal
# schemas give equal lists.
CATALOG = {
    "relations": "SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                 "WHERE n.nspname = %(schema)s ORDER BY 1",
    "columns": "SELECT table_name, column_name, ordinal_position, data_type, is_nullable, column_default, "
               "is_identity, identity_generation FROM information_schema.columns WHERE table_schema = %(schema)s "
               "ORDER BY 1, 3",
    "constraints": "SELECT cl.relname, co.conname, co.contype, pg_get_constraintdef(co.oid) FROM pg_constraint co "
                   "JOIN pg_class cl ON cl.oid = co.conrelid JOIN pg_namespace n ON n.oid = co.connamespace "
                   "WHERE n.nspname = %(schema)s ORDER BY 1, 2",
    "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = %(schema)s ORDER BY 2",
    "functions": "SELECT p.proname, pg_get_function_arguments(p.oid), pg_get_function_result(p.oid), p.prosrc, "
                 "p.provolatile, p.proconfig::text, l.lanname FROM pg_proc p "
                 "JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang "
                 "WHERE n.nspname = %(schema)s ORDER BY 1, 2",
    "views": "SELECT viewname, definition FROM pg_views WHERE schemaname = %(schema)s ORDER BY 1",
    "triggers": "SELECT c.relname, t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t "
                "JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = %(schema)s AND NOT t.tgisinternal ORDER BY 2",
}


def fresh(prefix: str) -> str:
    return with_schema(postgres_uri(), f"{prefix}_{uuid.uuid4().hex[:12]}")


def connect(uri: str) -> Any:
    import psycopg
    from noncestore._postgres import PostgresLocation
    return psycopg.connect(PostgresLocation(uri).conninfo, autocommit=True)


def schema_of(uri: str) -> str:
    from noncestore._postgres import PostgresLocation
    return PostgresLocation(uri).schema


def catalog(uri: str) -> Dict[str, List[tuple]]:
    """Every object of the schema, its own name written SCHEMA wherever it appears (in a
    function's search_path, a qualified index definition), and its version rows."""
    schema = schema_of(uri)

    def unnamed(value: object) -> object:
        return value.replace(schema, "SCHEMA") if isinstance(value, str) else value

    with connect(uri) as connection:
        connection.execute(f'SET search_path TO "{schema}"')
        found = {kind: [tuple(unnamed(v) for v in row) for row in connection.execute(sql, {"schema": schema})]
                 for kind, sql in CATALOG.items()}
        found["versions"] = connection.execute("SELECT version, name FROM schema_migrations ORDER BY 1").fetchall()
    assert all(found.values()), found
    return found


def schema_exists(uri: str) -> bool:
    with connect(uri) as connection:
        return connection.execute("SELECT count(*) FROM pg_namespace WHERE nspname = %s",
                                  (schema_of(uri),)).fetchone()[0] == 1


def test_the_schema_python_creates_is_the_one_the_cli_creates_and_each_issues_on_the_others() -> None:
    by_python, by_cli = fresh("py"), fresh("cli")
    with NonceStore(by_python, stream="kraken") as store:
        python_first = store.next()
    cli("stream", "create", "kraken", "--shared", "--db", by_cli)
    assert catalog(by_python) == catalog(by_cli)
    assert catalog(by_python)["versions"] == VERSIONS
    # The CLI on Python's schema, and Python on the CLI's.
    cli("verify", "--db", by_python)
    swift = int(cli("next", "--stream", "kraken", "--db", by_python).stdout)
    assert swift > python_first
    with NonceStore(by_python, stream="kraken", create=False) as store:
        assert store.next() > swift
    swift = int(cli("next", "--stream", "kraken", "--db", by_cli).stdout)
    with NonceStore(by_cli, stream="kraken", create=False) as store:
        assert store.next() > swift
    cli("verify", "--db", by_cli)


RACER = """
import os, sys, time
import noncestore, noncestore._postgres  # psycopg loaded before the gate: then all connect at once
uri, gate = sys.argv[1:]
print("ready", flush=True)
while not os.path.exists(gate):
    time.sleep(0.0005)
with noncestore.NonceStore(uri, stream="kraken") as store:
    print(store.next(), flush=True)
"""


def test_python_and_swift_processes_creating_one_schema_at_once_all_succeed_with_one_set_of_objects(
        tmp_path: Path) -> None:
    """Six Python processes wait at a gate, ready to open a missing schema; two CLI processes
    start as the gate opens, creating streams in it; three times. With Python's lock left out,
    this test failed in each of four runs (a schema, table or column that exists)."""
    reference = fresh("cli")
    cli("stream", "create", "kraken", "--shared", "--db", reference)
    for round in range(3):
        uri, gate = fresh("race"), tmp_path / f"gate-{round}"
        pythons = [subprocess.Popen([sys.executable, "-c", RACER, uri, str(gate)], text=True,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(6)]
        for process in pythons:
            assert process.stdout is not None and process.stdout.readline().strip() == "ready"
        gate.touch()
        swifts = [subprocess.Popen([nonce_bin(), "stream", "create", f"cli-{n}", "--shared", "--db", uri], text=True,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE) for n in (1, 2)]
        nonces = []
        for process in pythons + swifts:
            out, err = process.communicate(timeout=120)
            assert process.returncode == 0, err
            nonces += [int(line) for line in out.split() if line.isdigit()]
        assert len(set(nonces)) == 6
        assert catalog(uri) == catalog(reference)
        with connect(uri) as connection:
            streams = connection.execute(f'SELECT name FROM "{schema_of(uri)}".streams ORDER BY 1').fetchall()
        assert streams == [("cli-1",), ("cli-2",), ("kraken",)]
    cli("verify", "--db", uri)


def test_an_older_schema_is_upgraded_as_the_swift_side_upgrades_it() -> None:
    """A schema of version 1 with a stream and a nonce, made as the migrator made it then,
    is brought to the newest version on opening (whatever `create` says, as on the Swift side): the
    same objects as a schema the CLI creates now, and the next nonce above the old one."""
    from noncestore._postgres_schema import _apply
    from noncestore._schema_files import schema_files

    uri = fresh("old")
    schema = schema_of(uri)
    with connect(uri) as connection:
        version, name, sql = schema_files(SCHEMA_VERSION, "postgres")[0]
        _apply(connection, schema, uri, version, name, sql)
        connection.execute(f'SET search_path TO "{schema}"')
        connection.execute("INSERT INTO streams (name, mode, created_at, updated_at) VALUES ('kraken', 'shared', 0, 0)")
        old = connection.execute("SELECT nonce_next('kraken')").fetchone()[0]
        assert connection.execute("SELECT max(version) FROM schema_migrations").fetchone()[0] == 1
    with NonceStore(uri, stream="kraken", create=False) as store:
        assert store.next() > old
    reference = fresh("cli")
    cli("stream", "create", "kraken", "--shared", "--db", reference)
    assert catalog(uri) == catalog(reference)
    cli("verify", "--db", uri)


def test_a_missing_schema_with_create_false_is_refused_and_not_created() -> None:
    uri = fresh("absent")
    with pytest.raises(NonceStoreError, match="no NonceStore schema 'absent_.*create=True.*nonce stream create") \
            as refused:
        NonceStore(uri, stream="kraken", create=False)
    assert refused.value.code == "cannot_open"
    assert not schema_exists(uri)


def test_a_read_only_server_creates_nothing() -> None:
    uri = fresh("ro") + "&options=-c%20default_transaction_read_only%3Don"
    with pytest.raises(NonceStoreError) as refused:
        NonceStore(uri, stream="kraken")
    assert refused.value.code == "read_only", refused.value
    assert not schema_exists(uri)


def test_the_cli_waits_for_the_migration_lock_python_takes() -> None:
    """The same key on both sides: while a session holds the lock Python's migrations take,
    the CLI creating the schema waits for it, and goes on once it is released."""
    from noncestore._postgres_lock_keys import LockKeys

    uri = fresh("locked")
    with connect(uri) as holder:
        holder.execute("SELECT pg_advisory_lock(%s::integer, %s::integer)", LockKeys(schema_of(uri)).migration)
        creating = subprocess.Popen([nonce_bin(), "stream", "create", "kraken", "--shared", "--db", uri], text=True,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        with pytest.raises(subprocess.TimeoutExpired):
            creating.wait(timeout=1.5)
        assert not schema_exists(uri)
    out, err = creating.communicate(timeout=60)  # the holder's session ended, and its lock with it
    assert creating.returncode == 0, err
    assert catalog(uri)["versions"] == VERSIONS


def test_the_package_ships_the_postgresql_schema_files() -> None:
    from noncestore._schema_files import schema_files

    shipped = schema_files(SCHEMA_VERSION, "postgres")
    assert [(version, name) for version, name, _ in shipped] == VERSIONS
    repository = Path(__file__).resolve().parent.parent.parent / "Migrations" / "postgres"
    assert [sql for _, _, sql in shipped] == [(repository / name).read_text(encoding="utf-8") for _, name in VERSIONS]
    assert os.path.isdir(repository)
