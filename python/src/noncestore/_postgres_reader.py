"""Reading every stream of a NonceStore schema on PostgreSQL without changing it: the
`stream_state` view, and which streams' claims (session advisory locks with the Swift
side's keys) a live session holds. Never creates or upgrades the schema."""

from __future__ import annotations

import os
import threading
from typing import Any, Dict, List, Set, Tuple

from ._errors import NonceStoreError
from ._postgres_location import PostgresLocation
from ._postgres_lock_keys import LockKeys
from ._postgres_schema import schema_version

# A claim is the two-int advisory lock (claim namespace, stream id): pg_locks shows it with
# classid = the namespace, objid = the stream id, objsubid = 2.
_HELD_CLAIMS = """
    SELECT objid::bigint FROM pg_locks
    WHERE locktype = 'advisory' AND granted AND objsubid = 2 AND classid::bigint = %s
      AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
"""


class PostgresReader:
    """One connection, kept between reads and replaced after a failure. `wait` bounds
    connecting when the URI sets no connect_timeout."""

    def __init__(self, uri: str, wait: float) -> None:
        try:
            import psycopg
        except ImportError:
            raise NonceStoreError("invalid_argument", "a PostgreSQL URI needs psycopg 3: install the package with its "
                                                      "extra, pip install 'noncestore[postgres]'") from None
        self._psycopg = psycopg
        self.location = PostgresLocation(uri)
        self.description = self.location.description
        self.wait = wait
        self._keys = LockKeys(self.location.schema)
        self._connection: Any = None
        self._pid = os.getpid()
        self._guard = threading.Lock()

    def _connect(self) -> Any:
        options: Dict[str, Any] = {"autocommit": True}
        if "application_name=" not in self.location.conninfo:
            options["application_name"] = f"noncestore-python-reader/{self.location.schema}"
        if "connect_timeout=" not in self.location.conninfo:
            options["connect_timeout"] = max(1, int(self.wait))
        try:
            return self._psycopg.connect(self.location.conninfo, **options)
        except self._psycopg.Error as error:
            raise NonceStoreError("cannot_connect", f"cannot connect to {self.description}: "
                                                    f"{_first_line(error)}") from error

    def read(self) -> List[Tuple[Dict[str, Any], bool]]:
        """Every stream's row (by name) and whether it is held."""
        with self._guard:
            if self._pid != os.getpid():
                # A forked child: closing the parent's connection would end the parent's session.
                _inherited.append(self._connection)
                self._connection, self._pid = None, os.getpid()
            if self._connection is None or self._connection.closed:
                self._connection = self._connect()
            try:
                return self._read(self._connection)
            except self._psycopg.Error as error:
                lost = self._connection.closed or isinstance(error, self._psycopg.OperationalError)
                if lost:
                    self._close()
                code = "connection_lost" if lost else "read_failed"
                raise NonceStoreError(code, f"cannot read the streams of {self.description}: "
                                            f"{_first_line(error)}") from error

    def _read(self, connection: Any) -> List[Tuple[Dict[str, Any], bool]]:
        schema = self.location.schema
        with connection.transaction():
            # One snapshot for the version check and the rows.
            connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            if schema_version(connection, schema, self.description) is None:  # refuses a newer schema
                raise NonceStoreError("cannot_open", f"no NonceStore schema '{schema}' in {self.description} (a reader "
                                                     f"creates none): check ?schema= in the URI, or create it with "
                                                     f"'nonce stream create NAME --shared --db URI'")
            cursor = connection.execute(f'SELECT * FROM "{schema}".stream_state ORDER BY stream')
            names = [column.name for column in cursor.description]
            rows = [dict(zip(names, values)) for values in cursor.fetchall()]
            held: Set[int] = {int(r[0]) for r in connection.execute(_HELD_CLAIMS, (self._keys.claim,)).fetchall()}
        return [(row, int(row["stream_id"]) in held) for row in rows]

    def _close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            except Exception:
                pass
        self._connection = None

    def close(self) -> None:
        with self._guard:
            if self._pid == os.getpid():
                self._close()


_inherited: List[Any] = []
"""Connections a forked child took over from its parent, kept from garbage collection,
whose finalizer would end the parent's sessions."""


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
