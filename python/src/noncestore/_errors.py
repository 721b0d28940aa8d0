"""The package's errors: one type for every refusal, one for a lock that stayed busy, each
with a stable code to switch on (`error.code`), the same strings as the Swift library and
the CLI's JSON errors use."""

from __future__ import annotations

from typing import Any, Tuple

__all__ = ["ERROR_CODES", "NonceStoreError", "NonceStoreTimeout"]

ERROR_CODES = frozenset({
    # The database file.
    "not_a_database", "foreign_database", "newer_schema", "empty_file", "hard_linked", "database_moved",
    "damaged_log", "cannot_open", "write_failed", "read_failed", "busy",
    # A database server.
    "cannot_connect", "connection_lost", "read_only",
    # Streams.
    "invalid_stream_name", "stream_not_found", "mode_mismatch", "stream_held", "orphaned_history",
    # Issuing.
    "mark_not_durable", "issue_failed", "history_write_failed", "rate_counter_failed", "exhausted", "closed",
    "invalid_argument", "api_lock_timed_out", "api_lock_held_by_parent_task",
    # Legacy imports.
    "nothing_to_import", "path_not_found", "import_rejected",
})
"""Every code a NonceStoreError may carry. What each means: the table "Error codes" of the
Swift library's documentation (Sources/NonceKit/NonceKit.docc/ErrorCodes.md), the one list;
a test keeps this set equal to it. Some codes only the Swift side raises."""


class NonceStoreError(RuntimeError):
    """The store refused: no such stream, an exclusive stream, a newer schema, a database
    that stayed locked or went away. `code` says which (one of ERROR_CODES, stable across
    releases); the message (`str(error)`, also `message`) names the stream and the database."""

    code: str

    def __init__(self, code: str, message: str) -> None:
        if code not in ERROR_CODES:
            raise ValueError(f"{code!r} is not a NonceStore error code")
        super().__init__(message)
        self.code = code

    @property
    def message(self) -> str:
        return str(self.args[0])

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.message!r})"

    def __reduce__(self) -> Tuple[Any, ...]:
        # An exception pickles as type(self)(*args), and args holds the message alone.
        return type(self), (self.code, self.message), self.__dict__


class NonceStoreTimeout(NonceStoreError, TimeoutError):
    """The API lock was not free within the timeout (in this process and across processes);
    its code is always `api_lock_timed_out`."""

    def __init__(self, message: str) -> None:
        super().__init__("api_lock_timed_out", message)

    def __reduce__(self) -> Tuple[Any, ...]:
        return type(self), (self.message,), self.__dict__
