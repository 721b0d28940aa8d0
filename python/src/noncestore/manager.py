"""The calls of the Python manager NonceStore replaces (its migration guide's API), on a
NonceStore stream: a bot switches by changing its import line."""

from __future__ import annotations

import os
import threading
from typing import Any, Callable, Dict, Optional

from ._errors import NonceStoreError
from ._rate import COST_STANDARD, TierSpec
from .store import APILock, NonceStore

__all__ = [
    "NonceStoreManager",
    "configure_global_nonce_manager",
    "reset_global_nonce_manager",
    "get_global_nonce_manager",
    "get_kraken_nonce",
    "get_global_kraken_nonce",
    "get_global_nonce_stats",
    "get_kraken_api_lock",
]


class NonceStoreManager(NonceStore):
    """The guide's manager: `get_nonce()`, `jump_forward(ns)`, `get_stats()`, `api_lock()`.
    `db` is NonceStore's `location` (a file or a postgresql:// URI); `unit`, `max_nonce` and
    `exchange` are NonceStore's stream rules."""

    def __init__(self, db: Optional[str] = None, stream: Optional[str] = None, wait: Optional[float] = None,
                 tier: TierSpec = None, claim_wait: Optional[float] = None, clock: Optional[Callable[[], int]] = None,
                 sleep: Optional[Callable[[float], None]] = None, busy_timeout: Optional[float] = None,
                 create: bool = True, unit: Optional[str] = None, max_nonce: Optional[int] = None,
                 exchange: Optional[str] = None) -> None:
        if wait is None:
            wait = busy_timeout if busy_timeout is not None else 10.0
        super().__init__(db, stream, tier=tier, wait=wait, claim_wait=claim_wait, create=create, clock=clock,
                         sleep=sleep, unit=unit, max_nonce=max_nonce, exchange=exchange)

    @property
    def db(self) -> str:
        return self.location

    def get_nonce(self, apply_rate_limiting: bool = True, label: Optional[str] = None,
                  cost: float = COST_STANDARD) -> int:
        """The next nonce (in the stream's unit: nanoseconds, 19 digits, by default); see NonceStore.next."""
        return self.next(label=label, cost=cost, apply_rate_limiting=apply_rate_limiting)

    def jump_forward(self, nanoseconds: int, reason: str = "jump_forward") -> int:
        """The guide's jump, in nanoseconds: `jump_forward(60_000_000_000)` moves the floor a
        minute past max(floor, now). Returns the new floor."""
        return self.jump(nanoseconds=nanoseconds, reason=reason)

    def get_stats(self) -> Dict[str, Any]:
        """The stream's figures as a dict: every column of `stream_state`, and lead_over_clock_ns."""
        stats = self.stats()
        return {**stats.row, "lead_over_clock_ns": stats.lead_over_clock_ns}

    def api_lock(self, timeout: Optional[float] = None, cost: float = COST_STANDARD,  # type: ignore[override]
                 apply_rate_limiting: bool = True) -> APILock:
        """The stream's API lock (positional timeout, as the guide's lock objects took it)."""
        return super().api_lock(timeout=timeout, cost=cost, apply_rate_limiting=apply_rate_limiting)


_global: Optional[NonceStoreManager] = None
_global_guard = threading.Lock()


def configure_global_nonce_manager(**options: Any) -> NonceStoreManager:
    """Sets up the process-wide manager with NonceStoreManager's options (db, stream, tier, ...).
    Call it once, before the first use; otherwise $NONCE_DB, $NONCE_STREAM and $NONCE_TIER apply."""
    global _global
    with _global_guard:
        if _global is not None:
            raise NonceStoreError("invalid_argument", f"the global nonce manager is already set up (stream "
                                  f"'{_global.stream}' in {_global.description})")
        _global = NonceStoreManager(**options)
        return _global


def reset_global_nonce_manager() -> None:
    """Closes the process-wide manager; the next use opens a new one."""
    global _global
    with _global_guard:
        manager, _global = _global, None
    if manager is not None:
        manager.close()


def get_global_nonce_manager() -> NonceStoreManager:
    """The process-wide manager, opened on first use."""
    global _global
    with _global_guard:
        if _global is None:
            _global = NonceStoreManager()
        return _global


def get_kraken_nonce(*_legacy_args: Any) -> int:
    """The guide's legacy call; its account argument is ignored (one stream per key)."""
    return get_global_nonce_manager().get_nonce()


def get_global_kraken_nonce() -> int:
    """The guide's recommended alias of get_kraken_nonce."""
    return get_global_nonce_manager().get_nonce()


def get_global_nonce_stats() -> Dict[str, Any]:
    """The global stream's figures (see NonceStoreManager.get_stats)."""
    return get_global_nonce_manager().get_stats()


def get_kraken_api_lock(timeout: Optional[float] = None) -> APILock:
    """The global stream's API lock, shared with every process and language on the stream."""
    return get_global_nonce_manager().api_lock(timeout=timeout)


def _after_fork_in_child() -> None:
    global _global_guard
    _global_guard = threading.Lock()


os.register_at_fork(after_in_child=_after_fork_in_child)
