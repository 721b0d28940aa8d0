"""A shared stream's API lock inside one process, over the lock that keeps other
processes (and hosts) out.

In the process: reentrant for its owner (a thread, or an asyncio task), first come first
served for the others, which wait here rather than on the file or the server. Across
processes: the outermost entry takes the backend's lock (a byte of the SQLite file, or a
PostgreSQL advisory lock), the last exit drops it.
"""

from __future__ import annotations

import collections
import os
import threading
import time
import weakref
from typing import Any, Callable, Deque, Dict, Hashable, List, Optional, Protocol, Tuple


class CrossProcessLock(Protocol):
    """The backend's half of the API lock: taken without waiting, or not."""

    def try_lock(self) -> bool: ...

    def unlock(self) -> None: ...

    def after_fork_in_child(self) -> None: ...


class Charge:
    """A counted call taken by an API-lock entry: held when its body ends, and the first
    nonce taken inside the body (the call it paid for) is not charged again."""

    __slots__ = ("taken_at", "cost", "unused")

    def __init__(self, taken_at: int, cost: float) -> None:
        self.taken_at = taken_at
        self.cost = cost
        self.unused = True


class Cancelled(Exception):
    """The waiting asyncio task was cancelled; nothing is held."""


def thread_owner() -> Hashable:
    return ("thread", threading.get_ident())


class StreamAPILock:
    """The API lock of one stream for this whole process; see the module's comment."""

    def __init__(self, outer: CrossProcessLock) -> None:
        self.outer = outer
        self._reset()

    def _reset(self) -> None:
        self._guard = threading.Lock()
        self._owner: Optional[Hashable] = None
        self._depth = 0
        self._waiters: Deque[Tuple[Hashable, threading.Lock]] = collections.deque()
        # The charges of the bodies the owner is in, innermost last. Touched by the owner only.
        self.charges: List[Optional[Charge]] = []
        self._pid = os.getpid()
        # asyncio: one FIFO gate per event loop (see aio.py), shared by every async view of
        # the stream, so that one thread per loop waits for the lock however many stores wait.
        self.async_gates: "weakref.WeakKeyDictionary[Any, Any]" = weakref.WeakKeyDictionary()
        # The gate each holding task passed, opened when its outermost entry is left.
        self.gates_passed: Dict[Hashable, Any] = {}

    def after_fork_in_child(self) -> None:
        self.outer.after_fork_in_child()
        self._reset()

    def held_by(self, owner: Hashable) -> bool:
        return self._owner == owner and self._pid == os.getpid()

    def acquire(self, owner: Hashable, deadline: Optional[float],
                cancelled: Optional[threading.Event] = None) -> bool:
        """Takes the lock for `owner`; False when `deadline` (time.monotonic(); None: never)
        passed first. Raises Cancelled when `cancelled` is set while waiting."""
        with self._guard:
            if self._owner == owner:
                self._depth += 1
                return True
            waiter = None
            if self._owner is None and not self._waiters:
                self._owner, self._depth = owner, 1
            else:
                waiter = threading.Lock()
                waiter.acquire()
                self._waiters.append((owner, waiter))
        if waiter is not None and not self._wait_for_hand_off(owner, waiter, deadline, cancelled):
            return False
        # This owner is the process's holder now; keep the other processes out.
        try:
            taken = self._lock_outer(deadline, cancelled)
        except BaseException:
            self._hand_on()
            raise
        if not taken:
            self._hand_on()
        return taken

    def _wait_for_hand_off(self, owner: Hashable, waiter: threading.Lock, deadline: Optional[float],
                           cancelled: Optional[threading.Event]) -> bool:
        try:
            while True:
                # Slices, so that a cancelled asyncio task stops waiting soon.
                slice_ = 0.05 if cancelled is not None else -1
                if deadline is not None:
                    left = max(0.0, deadline - time.monotonic())
                    slice_ = left if slice_ < 0 else min(slice_, left)
                if waiter.acquire(timeout=slice_):
                    return True
                if cancelled is not None and cancelled.is_set():
                    raise Cancelled()
                if deadline is not None and time.monotonic() >= deadline:
                    break
        except BaseException:
            if self._withdraw(owner, waiter):
                raise
            self._hand_on()  # handed to us as we gave up: pass it on
            raise
        if self._withdraw(owner, waiter):
            return False
        return True  # handed to us as the wait ran out: take it

    def _withdraw(self, owner: Hashable, waiter: threading.Lock) -> bool:
        """Leaves the queue; False when the lock was handed to this waiter meanwhile."""
        with self._guard:
            if (owner, waiter) in self._waiters:
                self._waiters.remove((owner, waiter))
                return True
            return False

    def _lock_outer(self, deadline: Optional[float], cancelled: Optional[threading.Event]) -> bool:
        pause = 100e-6
        while True:
            if self.outer.try_lock():
                return True
            if cancelled is not None and cancelled.is_set():
                raise Cancelled()
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                return False
            time.sleep(pause if deadline is None else min(pause, deadline - now))
            pause = min(pause * 2, 2e-3)

    def release(self, owner: Hashable) -> None:
        """Leaves one level; the outermost exit drops the cross-process lock and hands on."""
        with self._guard:
            if self._owner != owner or self._pid != os.getpid():
                return  # entered before a fork, left in the child: nothing of it is here
            self._depth -= 1
            if self._depth > 0:
                return
            self.outer.unlock()
        self._hand_on()

    def _hand_on(self) -> None:
        """Gives the in-process lock to the longest waiter, or frees it."""
        with self._guard:
            self.charges = []
            if self._waiters:
                self._owner, waiter = self._waiters.popleft()
                self._depth = 1
                waiter.release()
            else:
                self._owner, self._depth = None, 0


_registry: "weakref.WeakValueDictionary[Any, StreamAPILock]" = weakref.WeakValueDictionary()
_registry_guard = threading.Lock()


def lock_for(key: Hashable, make_outer: Callable[[], CrossProcessLock]) -> StreamAPILock:
    """The process's one lock for `key` (a database and a stream): every store of the
    stream in this process shares it, so two stores in one process exclude each other."""
    with _registry_guard:
        lock = _registry.get(key)
        if lock is None:
            lock = StreamAPILock(make_outer())
            _registry[key] = lock
        return lock


def _after_fork_in_child() -> None:
    global _registry_guard
    _registry_guard = threading.Lock()
    for lock in list(_registry.values()):
        lock.after_fork_in_child()


os.register_at_fork(after_in_child=_after_fork_in_child)

__all__: List[str] = ["Charge", "Cancelled", "CrossProcessLock", "StreamAPILock", "lock_for", "thread_owner"]
