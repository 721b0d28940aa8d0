"""Creating and upgrading a NonceStore schema on PostgreSQL exactly as the Swift backend
does (PostgresSchema.swift), from the same files (`migrations/postgres/`): each file in
order, in one transaction that creates the schema if need be, runs the file and records it
in `schema_migrations`; all of them under the schema's migration advisory lock, with the
version read again once it is held. So any number of Swift and Python processes opening a
missing or older schema at once all succeed, and each file runs once."""

from __future__ import annotations

import time
from typing import Any, Optional

from ._errors import NonceStoreError
from ._postgres_lock_keys import LockKeys
from ._schema_files import schema_files

SCHEMA_VERSION = 4
"""The newest PostgreSQL schema this package knows (Migrations/postgres/0004_history_seconds.sql)."""


def schema_version(connection: Any, schema: str, description: str) -> Optional[int]:
    """The schema's version; None when it holds no tables (missing, or empty). Refuses a
    schema of other tables, and one newer than this package."""
    all_tables, migrations = connection.execute(
        "SELECT count(*), count(*) FILTER (WHERE table_name = 'schema_migrations') "
        "FROM information_schema.tables WHERE table_schema = %s", (schema,)).fetchone()
    if all_tables == 0:
        return None
    if migrations != 1:
        raise NonceStoreError("foreign_database", f"schema '{schema}' in {description} holds tables that are not "
                                                  f"NonceStore's; it was left untouched (name another schema with "
                                                  f"?schema=NAME in the URI)")
    found = int(connection.execute(f'SELECT coalesce(max(version), 0) FROM "{schema}".schema_migrations').fetchone()[0])
    if found > SCHEMA_VERSION:
        raise NonceStoreError("newer_schema", f"{description} has schema version {found}, newer than this package "
                                              f"supports ({SCHEMA_VERSION}); upgrade the noncestore package. Nothing "
                                              f"was changed")
    return found


def prepare_schema(connection: Any, schema: str, description: str, create: bool, stream: str) -> int:
    """Brings the schema to SCHEMA_VERSION on `connection` (autocommit), creating it when
    missing and `create`; returns the version. An older schema is upgraded whatever
    `create` says, as the Swift side does."""
    # Read first: an up-to-date schema, the usual case, takes no lock.
    found = schema_version(connection, schema, description)
    if found == SCHEMA_VERSION:
        return found
    if found is None and not create:
        raise NonceStoreError("cannot_open", f"no NonceStore schema '{schema}' in {description}: open it with "
                                             f"create=True (the default) to create it, or create it and the stream "
                                             f"with 'nonce stream create {stream} --shared --db URI'")
    key = LockKeys(schema).migration
    # A session lock, as the Swift side takes: held across the files' transactions.
    connection.execute("SELECT pg_advisory_lock(%s::integer, %s::integer)", key)
    try:
        current = schema_version(connection, schema, description) or 0
        for version, name, sql in schema_files(SCHEMA_VERSION, "postgres"):
            if version > current:
                _apply(connection, schema, description, version, name, sql)
    finally:
        _unlock(connection, key)
    return SCHEMA_VERSION


def _apply(connection: Any, schema: str, description: str, version: int, name: str, sql: str) -> None:
    import psycopg

    try:
        with connection.transaction():
            # The file's objects go into the schema: it names none itself.
            connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"; SET LOCAL search_path TO "{schema}"')
            connection.execute(sql)
            connection.execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (%s, %s, %s)",
                               (version, name, time.time_ns()))
    except psycopg.Error as error:
        # A lost session or a read-only server is reported as such by the caller.
        if connection.closed or isinstance(error, psycopg.OperationalError) or error.sqlstate == "25006":
            raise
        raise NonceStoreError("cannot_open", f"{description}: migration {name} failed and was rolled back: "
                                             f"{str(error).strip() or type(error).__name__}") from error


def _unlock(connection: Any, key: Any) -> None:
    import psycopg

    try:
        connection.execute("SELECT pg_advisory_unlock(%s::integer, %s::integer)", key)
    except psycopg.Error:
        pass  # a lost session let go of the lock with it
