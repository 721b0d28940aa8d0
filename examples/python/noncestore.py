"""The guide's nonce calls on a NonceStore database, with only the standard library.

Switch a Python bot over with one import change:

    # from bot.global_kraken_nonce import get_kraken_nonce, get_global_nonce_stats
    from noncestore import get_kraken_nonce, get_global_nonce_stats

Nonces come from a *shared* NonceStore stream through its SQL contract (see the README's
"The SQL contract"), so this process, other Python processes and Swift processes using
the same stream all draw from one strictly increasing sequence, each nonce committed to
disk before it is returned. Create the stream once with the CLI:

    nonce stream create default --shared

The database is $NONCE_DB (default ./nonces.sqlite), the stream $NONCE_STREAM (default
"default"). Linux only: the API lock is a byte-range lock in the database's -locks file.
"""

import fcntl
import os
import sqlite3
import threading
import time

__all__ = [
    "NonceStoreManager",
    "NonceStoreError",
    "get_global_nonce_manager",
    "get_kraken_nonce",
    "get_global_kraken_nonce",
    "get_global_nonce_stats",
    "get_kraken_api_lock",
]


class NonceStoreError(RuntimeError):
    """The store refused: no such stream, an exclusive stream, or a database problem."""


# Stream ids stay far below 2**32; each shared stream's API lock is the byte at 2**32 + id.
_API_LOCK_BASE = 1 << 32


class _APILock:
    """Reentrant in this process (per thread), exclusive across processes; released by the
    kernel if the process dies. Take the nonce inside it so requests leave in nonce order."""

    def __init__(self, lock_path, offset):
        self._lock_path = lock_path
        self._offset = offset
        self._local = threading.RLock()
        self._depth = 0
        self._fd = None

    def __enter__(self):
        self._local.acquire()
        if self._depth == 0:
            try:
                if self._fd is None:
                    self._fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
                fcntl.lockf(self._fd, fcntl.LOCK_EX, 1, self._offset, os.SEEK_SET)
            except BaseException:
                self._local.release()
                raise
        self._depth += 1
        return self

    def __exit__(self, *exc):
        self._depth -= 1
        if self._depth == 0:
            fcntl.lockf(self._fd, fcntl.LOCK_UN, 1, self._offset, os.SEEK_SET)
        self._local.release()
        return False


class NonceStoreManager:
    """One shared stream of one NonceStore database; safe to share between threads."""

    def __init__(self, db=None, stream=None, busy_timeout=10.0):
        self.db = db or os.environ.get("NONCE_DB") or "nonces.sqlite"
        self.stream = stream or os.environ.get("NONCE_STREAM") or "default"
        if not os.path.exists(self.db):
            raise NonceStoreError(f"no database at '{self.db}': create the stream with "
                                  f"'nonce stream create {self.stream} --shared --db {self.db}'")
        # isolation_level=None: this module writes BEGIN IMMEDIATE / COMMIT itself.
        self._connection = sqlite3.connect(self.db, timeout=busy_timeout, isolation_level=None,
                                           check_same_thread=False)
        # The contract: every commit synced to disk before the nonce is used.
        self._connection.execute("PRAGMA synchronous = FULL")
        self._mutex = threading.Lock()
        row = self._connection.execute(
            "SELECT mode FROM stream_state WHERE stream = ?", (self.stream,)).fetchone()
        if row is None:
            raise NonceStoreError(f"no stream '{self.stream}' in '{self.db}': create it with "
                                  f"'nonce stream create {self.stream} --shared'")
        stream_id = self._connection.execute(
            "SELECT id FROM streams WHERE name = ?", (self.stream,)).fetchone()[0]
        lock_path = os.path.realpath(self.db) + "-locks"
        self._api_lock = _APILock(lock_path, _API_LOCK_BASE + stream_id)

    def get_nonce(self, apply_rate_limiting=True, label=None, _requested_at=None):
        """The next nonce (nanoseconds, 19 digits), above every nonce the stream issued.

        apply_rate_limiting is accepted for compatibility with the guide's signature; this
        example does no rate limiting.
        """
        requested_at = time.time_ns() if _requested_at is None else _requested_at
        with self._mutex:
            try:
                self._connection.execute("BEGIN IMMEDIATE")
                try:
                    self._connection.execute(
                        "INSERT INTO nonce_requests (stream, requested_at, pid, label) VALUES (?, ?, ?, ?)",
                        (self.stream, requested_at, os.getpid(), label))
                    nonce = self._connection.execute(
                        "SELECT last_issued FROM stream_state WHERE stream = ?", (self.stream,)).fetchone()[0]
                    self._connection.execute("COMMIT")
                except BaseException:
                    self._connection.execute("ROLLBACK")
                    raise
            except sqlite3.Error as error:
                raise NonceStoreError(f"stream '{self.stream}' in '{self.db}': {error}") from error
        return nonce

    def jump_forward(self, nanoseconds):
        """Moves the stream at least `nanoseconds` ahead of now (the guide's unit: ns).
        Returns the nonce issued at the new position: every later nonce is above it."""
        if nanoseconds <= 0:
            raise ValueError("jump_forward takes a positive number of nanoseconds")
        return self.get_nonce(label="jump_forward", _requested_at=time.time_ns() + int(nanoseconds))

    def get_stats(self):
        """The stream's figures from stream_state, as a dict."""
        cursor = self._connection.execute("SELECT * FROM stream_state WHERE stream = ?", (self.stream,))
        names = [column[0] for column in cursor.description]
        row = cursor.fetchone()
        stats = dict(zip(names, row))
        stats["lead_over_clock_ns"] = stats["last_issued"] - time.time_ns() if stats["last_issued"] else 0
        return stats

    def api_lock(self):
        """The stream's API lock: `with manager.api_lock(): nonce = manager.get_nonce(); send(...)`."""
        return self._api_lock


_global_manager = None
_global_guard = threading.Lock()


def get_global_nonce_manager():
    """The process-wide manager ($NONCE_DB, $NONCE_STREAM), created on first use."""
    global _global_manager
    with _global_guard:
        if _global_manager is None:
            _global_manager = NonceStoreManager()
        return _global_manager


def get_kraken_nonce(*_legacy_args):
    """The guide's legacy call (its account argument is ignored: one stream per key)."""
    return get_global_nonce_manager().get_nonce()


def get_global_kraken_nonce():
    """The guide's recommended alias."""
    return get_global_nonce_manager().get_nonce()


def get_global_nonce_stats():
    """The stream's figures."""
    return get_global_nonce_manager().get_stats()


def get_kraken_api_lock():
    """The API lock of the global manager's stream, shared with every process on it."""
    return get_global_nonce_manager().api_lock()


if __name__ == "__main__":
    # `python3 noncestore.py N` prints N nonces, one a line (used by the tests).
    import sys
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    manager = get_global_nonce_manager()
    print("\n".join(str(manager.get_nonce()) for _ in range(count)), flush=True)
