"""What a store needs from a database: the SQL contract of one shared stream, on SQLite
or PostgreSQL. Each backend is used under its store's own lock, one call at a time."""

from __future__ import annotations

from typing import Any, Dict, Hashable, Optional, Protocol

from ._apilock import CrossProcessLock
from ._rate import RateLimit


class Backend(Protocol):
    description: str
    """The database as messages name it (a path, or a URI without its password)."""
    stream: str
    stream_id: int
    lock_key: Hashable
    """Identifies the database and stream for the process-wide API lock."""

    def require_shared(self) -> None:
        """Raises NonceStoreError unless the stream is shared and this process holds its claim."""

    def issue(self, label: Optional[str], pid: int) -> int: ...

    def jump(self, by_ns: int, reason: str) -> int: ...

    def stream_state(self) -> Dict[str, Any]: ...

    def take_rate(self, limit: RateLimit, cost: float, now: int) -> int:
        """0 when `cost` was added to the counter, else the nanoseconds until it fits."""

    def hold_charge(self, limit: RateLimit, cost: float, taken_at: int, now: int) -> None: ...

    def cross_process_lock(self) -> CrossProcessLock: ...

    def close(self) -> None: ...

    def after_fork_in_child(self) -> None:
        """Forget (without closing) what belongs to the parent; reconnect on next use."""
