"""The package's errors: one type for every refusal, one for a lock that stayed busy."""

from __future__ import annotations

__all__ = ["NonceStoreError", "NonceStoreTimeout"]


class NonceStoreError(RuntimeError):
    """The store refused: no such stream, an exclusive stream, a newer schema, a database
    that stayed locked or went away. The message names the stream and the database."""


class NonceStoreTimeout(NonceStoreError, TimeoutError):
    """The API lock was not free within the timeout (in this process and across processes)."""
