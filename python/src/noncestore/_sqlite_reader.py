"""Reading every stream of a NonceStore SQLite database without changing it: the
`stream_state` view, and whether a live process holds each stream's claim byte. For
`nonce stats`-like figures and the Prometheus collector, which must never create a
database, migrate one, or claim a stream."""

from __future__ import annotations

import fcntl
import os
import sqlite3
from typing import Any, Dict, List, Tuple
from urllib.parse import quote

from . import _filelocks
from ._errors import NonceStoreError
from ._filelocks import CLAIM_BASE
from ._sqlite import SCHEMA_VERSION, check_database_file, recognise, refuse_log_without_database

OLDEST_READABLE = 4
"""The first schema whose `stream_state` has everything the figures need but for defaults."""


class SQLiteReader:
    """`wait`: seconds a read may wait for a writer that holds the database (a WAL reader
    waits only while a log is being recovered)."""

    def __init__(self, path: str, wait: float) -> None:
        self.path = path
        self.description = path
        self.wait = wait
        refuse_log_without_database(path)
        if not os.path.exists(path):
            raise NonceStoreError("cannot_open", f"no database at '{path}' (a reader creates none): check the path, "
                                                 f"or create it with 'nonce stream create NAME --shared --db {path}'")
        check_database_file(path)
        recognise(os.path.realpath(path), path)

    def read(self) -> List[Tuple[Dict[str, Any], bool]]:
        """Every stream's row (by name) and whether it is held. A connection of its own
        each time: cheap for a file, and it never reads a file replaced since the last."""
        real_path = os.path.realpath(self.path)
        try:
            # mode=rw, not ro: a read-only connection cannot open a WAL database whose -shm
            # is missing; query_only keeps this one from writing all the same.
            connection = sqlite3.connect(f"file:{quote(os.path.abspath(self.path))}?mode=rw", uri=True,
                                         timeout=self.wait, isolation_level=None)
        except sqlite3.Error as error:
            raise NonceStoreError("cannot_open", f"cannot open database '{self.path}': {error}") from error
        try:
            connection.execute("PRAGMA query_only = ON")
            version = int(connection.execute("PRAGMA user_version").fetchone()[0])
            if version > SCHEMA_VERSION:
                raise NonceStoreError("newer_schema", f"'{self.path}' has schema version {version}, newer than this "
                                                      f"package reads ({SCHEMA_VERSION}); upgrade the noncestore "
                                                      f"package")
            if version < OLDEST_READABLE:
                raise NonceStoreError("cannot_open", f"'{self.path}' has schema version {version}, older than this "
                                                     f"package reads ({OLDEST_READABLE}): open it once with a current "
                                                     f"'nonce' command (e.g. 'nonce stream list --db {self.path}') to "
                                                     f"upgrade it")
            cursor = connection.execute("SELECT * FROM stream_state ORDER BY stream")
            names = [column[0] for column in cursor.description]
            rows = [dict(zip(names, values)) for values in cursor.fetchall()]
        except sqlite3.Error as error:
            raise NonceStoreError("read_failed", f"cannot read the streams of '{self.path}': {error}") from error
        finally:
            connection.close()
        return [(row, self._held(real_path, int(row["stream_id"]))) for row in rows]

    @staticmethod
    def _held(real_path: str, stream_id: int) -> bool:
        """Whether any claim on the stream's byte is held, through any descriptor: a pooled
        one holds no lock of its own, so this process's own stores count as holders too."""
        key, fd = _filelocks.borrow(real_path)
        try:
            return _filelocks.holder_type(fd, CLAIM_BASE + stream_id) != fcntl.F_UNLCK
        finally:
            _filelocks.give_back(key, fd)

    def close(self) -> None:
        """Nothing to close: each read opens and closes its own connection."""
