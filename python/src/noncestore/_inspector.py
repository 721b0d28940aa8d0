"""A read-only view of a NonceStore database, SQLite file or PostgreSQL schema: every
stream's figures, as `nonce stats` shows them, while other processes issue. It never
creates, migrates or claims anything (a mistyped path is an error, not a new database)."""

from __future__ import annotations

import os
import threading
import time
import unicodedata
from typing import TYPE_CHECKING, Iterable, List, Optional, Union

from ._errors import NonceStoreError
from ._figures import StreamFigures, figures
from ._postgres_location import is_postgres_uri
from .store import DEFAULT_DATABASE

if TYPE_CHECKING:
    from ._postgres_reader import PostgresReader
    from ._sqlite_reader import SQLiteReader


class Inspector:
    """`location`: a SQLite file or a postgresql:// URI (default $NONCE_DB, else
    nonces.sqlite). `streams`: the names to read (default: every stream); each must exist
    when the inspector is made. `wait`: seconds a read may wait for the database."""

    def __init__(self, location: Union[str, "os.PathLike[str]", None] = None,
                 streams: Optional[Iterable[str]] = None, *, wait: float = 10.0) -> None:
        self.location = os.fspath(location) if location is not None else (os.environ.get("NONCE_DB")
                                                                           or DEFAULT_DATABASE)
        if isinstance(streams, str):
            raise TypeError(f"streams takes a list of names, not the string {streams!r}: write [{streams!r}]")
        # NFC, as every client stores names: 'café' typed either way is one stream.
        self.streams = None if streams is None else [unicodedata.normalize("NFC", s) for s in streams]
        if is_postgres_uri(self.location):
            from ._postgres_reader import PostgresReader
            self._reader: "Union[PostgresReader, SQLiteReader]" = PostgresReader(self.location, wait)
        elif "://" in self.location:
            scheme = self.location.split("://", 1)[0]
            raise NonceStoreError("invalid_argument", f"'{scheme}://...' is neither a file path nor a postgresql:// URI")
        else:
            from ._sqlite_reader import SQLiteReader
            self._reader = SQLiteReader(self.location, wait)
        self._lock = threading.Lock()
        try:
            found = {f.stream for f in self._read()}
            missing = [name for name in self.streams or [] if name not in found]
            if missing:
                names = sorted(found)
                has = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
                raise NonceStoreError("stream_not_found", f"no stream {', '.join(repr(n) for n in missing)} in "
                                                          f"{self.description} (its streams: {has or 'none'})")
        except BaseException:
            self.close()
            raise

    @property
    def description(self) -> str:
        """The database as messages name it (a URI's password left out)."""
        return self._reader.description

    def figures(self) -> List[StreamFigures]:
        """The streams' figures now, by name; a stream deleted since is left out."""
        wanted = None if self.streams is None else set(self.streams)
        return [found for found in self._read() if wanted is None or found.stream in wanted]

    def _read(self) -> List[StreamFigures]:
        with self._lock:
            read = self._reader.read()
        now = time.time_ns()
        return [figures(row, held, now) for row, held in read]

    def close(self) -> None:
        self._reader.close()

    def __enter__(self) -> "Inspector":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
