"""Fixtures: databases made by the real `nonce` CLI, on SQLite and (with a server) PostgreSQL.

The PostgreSQL cases need $NONCESTORE_TEST_POSTGRES (a URI; `.ci/run` starts a server and
sets it, with $NONCESTORE_REQUIRE_POSTGRES=1 so that a missing server fails instead of
skipping). The CLI is $NONCE_BIN, else the repository's .build/debug/nonce.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Iterator, List

import pytest

# pytester runs an inner pytest (test_testing_plugin.py).
pytest_plugins = ["pytester"]

HERE = Path(__file__).resolve().parent
REPOSITORY = HERE.parent.parent
CHILD = HERE / "child.py"


def nonce_bin() -> str:
    path = os.environ.get("NONCE_BIN") or str(REPOSITORY / ".build" / "debug" / "nonce")
    if not os.access(path, os.X_OK):
        pytest.fail(f"the nonce CLI is not at {path}: run 'swift build' first, or set NONCE_BIN")
    return path


def cli(*args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
    """Runs the nonce CLI."""
    result = subprocess.run([nonce_bin(), *args], capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"nonce {' '.join(args)} exited {result.returncode}: {result.stderr}")
    return result


def skip_unless_the_cli_knows_stream_units() -> None:
    """Skips a test that needs the CLI to know stream rules (SQLite schema 9, PostgreSQL 3),
    and only then: when neither `nonce --help` nor `nonce stream --help` of $NONCE_BIN
    mentions `set-unit`, the command a CLI with units has. An older CLI refuses the newer
    schema such a test creates."""
    helps = cli("--help", check=False).stdout + cli("stream", "--help", check=False).stdout
    if "set-unit" not in helps:
        pytest.skip(f"the nonce CLI at {nonce_bin()} predates stream units (its help has no set-unit)")


def child(location: str, stream: str, *args: str, **popen: object) -> subprocess.Popen:
    """A Python process running tests/child.py on the stream (see that file)."""
    return subprocess.Popen([sys.executable, str(CHILD), location, stream, *args], text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **popen)


def finish(process: subprocess.Popen, timeout: float = 120) -> List[str]:
    """Waits for a child; its stdout lines. Fails with its stderr when it failed."""
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, f"child exited {process.returncode}: {err}"
    return out.split()


def with_schema(uri: str, schema: str) -> str:
    return f"{uri}{'&' if '?' in uri else '?'}schema={schema}"


def postgres_uri() -> str:
    uri = os.environ.get("NONCESTORE_TEST_POSTGRES")
    if not uri:
        message = ("no PostgreSQL server: set NONCESTORE_TEST_POSTGRES to a URI "
                   "(export NONCESTORE_TEST_POSTGRES=$(bash .ci/postgres-start))")
        if os.environ.get("NONCESTORE_REQUIRE_POSTGRES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return uri


class Database:
    """A fresh database of one backend with a shared stream `kraken` and an exclusive one."""

    def __init__(self, backend: str, location: str) -> None:
        self.backend = backend
        self.location = location
        self.stream = "kraken"
        cli("stream", "create", self.stream, "--shared", "--db", location)
        cli("stream", "create", "held-alone", "--db", location)

    def query(self, sql: str) -> List[tuple]:
        """Rows of `sql` (no parameters), read with the backend's own client."""
        if self.backend == "sqlite":
            import sqlite3
            connection = sqlite3.connect(self.location)
            try:
                return connection.execute(sql).fetchall()
            finally:
                connection.close()
        import psycopg
        from noncestore._postgres import PostgresLocation
        location = PostgresLocation(self.location)
        with psycopg.connect(location.conninfo, autocommit=True) as connection:
            connection.execute(f'SET search_path TO "{location.schema}"')
            return connection.execute(sql).fetchall()

    def execute(self, sql: str) -> None:
        """Runs `sql` (no parameters) and commits it: a change made by hand, as an operator might."""
        if self.backend == "sqlite":
            import sqlite3
            connection = sqlite3.connect(self.location, isolation_level=None)
            try:
                connection.execute(sql)
            finally:
                connection.close()
            return
        import psycopg
        from noncestore._postgres import PostgresLocation
        location = PostgresLocation(self.location)
        with psycopg.connect(location.conninfo, autocommit=True) as connection:
            connection.execute(f'SET search_path TO "{location.schema}"')
            connection.execute(sql)

    def verify(self) -> None:
        cli("verify", "--db", self.location)


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        yield Database("sqlite", str(tmp_path / "nonces.sqlite"))
    else:
        schema = "py_" + uuid.uuid4().hex[:12]
        yield Database("postgres", with_schema(postgres_uri(), schema))


@pytest.fixture(params=["sqlite", "postgres"])
def new_location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where nothing exists yet, on either backend: Python creates the database (SQLite) or
    schema (PostgreSQL) at its newest version, with streams that have rules."""
    if request.param == "sqlite":
        return str(tmp_path / "nonces.sqlite")
    return with_schema(postgres_uri(), "py_" + uuid.uuid4().hex[:12])


@pytest.fixture
def sqlite_database(tmp_path: Path) -> Database:
    return Database("sqlite", str(tmp_path / "nonces.sqlite"))
