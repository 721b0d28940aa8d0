"""A PostgreSQL location as NonceStore reads it: a libpq URI with NonceStore's own
parameters. Imports nothing of psycopg, so that a store on a SQLite file never loads it."""

from __future__ import annotations

import os
import re
from urllib.parse import unquote, urlsplit, urlunsplit

from ._errors import NonceStoreError

_PLAIN_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


def is_postgres_uri(location: str) -> bool:
    return location.startswith(("postgres://", "postgresql://"))


class PostgresLocation:
    """A libpq URI split into what libpq reads and NonceStore's own parameters: `schema=`,
    and `reply_timeout=` (the Swift library's bound on each wait for the server; accepted
    here so that one URI serves both, and kept in `reply_timeout`, while this package's
    waits are psycopg's own)."""

    def __init__(self, uri: str) -> None:
        parts = urlsplit(uri)
        self.schema = "noncestore"
        self.reply_timeout = 5
        kept = []
        # libpq's own parameters are passed on as written: libpq decodes %XX only, so a '+'
        # must stay a '+' (decoded as a form would, `options=-c%20a=b` broke).
        for written in filter(None, parts.query.split("&")):
            name, _, value = (unquote(part) for part in written.partition("="))
            if name == "reply_timeout":
                if not value.isdigit() or int(value) <= 0:
                    raise NonceStoreError("invalid_argument", f"reply_timeout '{value}' in the URI must be a positive "
                                                              f"whole number")
                self.reply_timeout = int(value)
            elif name == "schema":
                if not _PLAIN_NAME.match(value):
                    raise NonceStoreError("invalid_argument", f"schema '{value}' in the URI must be a plain lower-case "
                                                              f"identifier (letters, digits, underscores)")
                self.schema = value
            else:
                kept.append(written)
        self.conninfo = urlunsplit((parts.scheme, parts.netloc, parts.path, "&".join(kept), parts.fragment))
        try:
            port = parts.port or os.environ.get("PGPORT") or 5432
        except ValueError:
            raise NonceStoreError("invalid_argument", f"the port of the URI 'postgresql://{parts.hostname or ''}...' "
                                                      f"is not a number (a password with '/', '@' or ':' must be "
                                                      f"percent-encoded)") from None
        user = parts.username or os.environ.get("PGUSER") or ""
        host = parts.hostname or os.environ.get("PGHOST") or "localhost"
        database = parts.path.lstrip("/") or os.environ.get("PGDATABASE") or user
        # Never the password: messages and logs carry this.
        self.description = f"postgresql://{user + '@' if user else ''}{host}:{port}/{database} (schema {self.schema})"
