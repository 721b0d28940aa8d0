"""The advisory-lock keys of one NonceStore schema on PostgreSQL, in the two-int form, the
same as the Swift side's (PostgresLockKeys.swift), so that Swift and Python processes
exclude each other: a namespace derived from the schema's name (two NonceStore schemas in
one database, or an application's own advisory locks, never collide with these) and, for a
stream's locks, the stream's id."""

from __future__ import annotations

from typing import Tuple


def lock_namespace(text: str) -> int:
    """FNV-1a (32 bits) of `text`'s UTF-8 bytes, kept positive: the same in every language."""
    value = 2166136261
    for byte in text.encode():
        value = ((value ^ byte) * 16777619) & 0xFFFFFFFF
    return value & 0x7FFFFFFF


class LockKeys:
    def __init__(self, schema: str) -> None:
        self.claim = lock_namespace(f"noncestore claim {schema}")
        """A stream's claim, exclusive or shared: key (claim, stream id)."""
        self.api_lock = lock_namespace(f"noncestore api lock {schema}")
        """A shared stream's API lock: key (api_lock, stream id)."""
        self.migration: Tuple[int, int] = (lock_namespace(f"noncestore migration {schema}"), 0)
        """Held while the schema is created or migrated."""
