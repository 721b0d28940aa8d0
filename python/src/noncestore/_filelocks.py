"""Open-file-description locks on bytes of the database file, where the Swift side puts
its claims and API locks (from byte 2**40 up, far above the 512 bytes SQLite locks).

The descriptors are pooled and never closed while the process lives: closing any
descriptor of a file drops every POSIX lock the process holds on it, SQLite's own too.
"""

from __future__ import annotations

import errno
import fcntl
import os
import struct
import threading
import weakref
from typing import Dict, List, Tuple

from ._errors import NonceStoreError

CLAIM_BASE = 1 << 40
"""A stream's claim: byte CLAIM_BASE + stream id."""
API_LOCK_BASE = CLAIM_BASE + (1 << 32)
"""A shared stream's API lock: byte API_LOCK_BASE + stream id."""

# Linux's values (the same on every architecture, asm-generic/fcntl.h) when fcntl lacks them.
F_OFD_GETLK = getattr(fcntl, "F_OFD_GETLK", 36)
F_OFD_SETLK = getattr(fcntl, "F_OFD_SETLK", 37)

FileKey = Tuple[int, int]


def flock_struct(lock_type: int, offset: int) -> bytes:
    """struct flock for one byte at `offset` (x86_64/aarch64 layout); l_pid 0, as OFD locks want."""
    return struct.pack("hhqqi4x", lock_type, os.SEEK_SET, offset, 1, 0)


def try_lock(fd: int, lock_type: int, offset: int, path: str) -> bool:
    """True when taken, False when another holder has the byte in a conflicting mode."""
    try:
        fcntl.fcntl(fd, F_OFD_SETLK, flock_struct(lock_type, offset))
        return True
    except OSError as error:
        if error.errno in (errno.EAGAIN, errno.EACCES):
            return False
        raise NonceStoreError("cannot_open", f"cannot lock '{path}': {error.strerror}") from error


def unlock(fd: int, offset: int) -> None:
    try:
        fcntl.fcntl(fd, F_OFD_SETLK, flock_struct(fcntl.F_UNLCK, offset))
    except OSError:
        pass


def holder_type(fd: int, offset: int) -> int:
    """F_UNLCK when an exclusive lock on the byte would be granted, else the holder's type."""
    answer = fcntl.fcntl(fd, F_OFD_GETLK, flock_struct(fcntl.F_WRLCK, offset))
    return int(struct.unpack("hhqqi4x", answer)[0])


_guard = threading.Lock()
_pool: Dict[FileKey, List[int]] = {}


def borrow(path: str) -> Tuple[FileKey, int]:
    """A descriptor of the file at `path` (its own open file description), and the file's key."""
    try:
        info = os.stat(path)
        key = (info.st_dev, info.st_ino)
        with _guard:
            free = _pool.get(key)
            if free:
                return key, free.pop()
        fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
        info = os.fstat(fd)
        return (info.st_dev, info.st_ino), fd
    except OSError as error:
        raise NonceStoreError("cannot_open", f"cannot open '{path}' for its locks: {error.strerror}") from error


def give_back(key: FileKey, fd: int) -> None:
    with _guard:
        _pool.setdefault(key, []).append(fd)


def _drop_in_child() -> None:
    # A forked child shares these descriptions and with them the parent's locks; it starts
    # with none. Closing them is safe: the child holds no SQLite locks of its own yet.
    global _guard
    _guard = threading.Lock()
    for fds in _pool.values():
        for fd in fds:
            try:
                os.close(fd)
            except OSError:
                pass
    _pool.clear()


os.register_at_fork(after_in_child=_drop_in_child)


class FileByteLock:
    """One byte of the database file held exclusively: the cross-process half of a shared
    stream's API lock on SQLite. The kernel drops it when the process dies."""

    def __init__(self, path: str, offset: int) -> None:
        self.path = path
        self.offset = offset
        self._borrowed: "Tuple[FileKey, int] | None" = None
        self._held = False
        _byte_locks.add(self)

    def try_lock(self) -> bool:
        if self._borrowed is None:
            self._borrowed = borrow(self.path)
        self._held = try_lock(self._borrowed[1], fcntl.F_WRLCK, self.offset, self.path)
        return self._held

    def unlock(self) -> None:
        if self._borrowed is not None:
            unlock(self._borrowed[1], self.offset)
        self._held = False

    def after_fork_in_child(self) -> None:
        # The inherited description carries the parent's lock; the child gets its own.
        # Closing the inherited descriptor leaves the parent's lock alone (it has it open).
        if self._borrowed is not None:
            try:
                os.close(self._borrowed[1])
            except OSError:
                pass
        self._borrowed = None


_byte_locks: "weakref.WeakSet[FileByteLock]" = weakref.WeakSet()


def close_descriptors(path: str) -> None:
    """Closes this package's descriptors of the file at `path`: the pooled ones and those of
    API locks not held. For a database about to be deleted once its stores are closed (the
    pytest plugin's, one per test), which would otherwise keep two descriptors open each
    for as long as the process lives. Never while a store of this process still uses the
    file: closing a descriptor drops every POSIX lock the process holds on the file."""
    try:
        info = os.stat(path)
    except OSError:
        return
    key = (info.st_dev, info.st_ino)
    with _guard:
        closing = _pool.pop(key, [])
    for lock in list(_byte_locks):
        if lock._borrowed is not None and lock._borrowed[0] == key and not lock._held:
            closing.append(lock._borrowed[1])
            lock._borrowed = None
    for fd in closing:
        try:
            os.close(fd)
        except OSError:
            pass
