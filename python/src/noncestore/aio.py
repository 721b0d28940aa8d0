"""asyncio: awaitable nonces and an `async with` API lock that never block the event loop.

Every database call and every wait for another process runs on a thread of this module's
own pool; the tasks of one event loop wait for the API lock in turn (first come first
served) without a thread each, so a thousand waiting tasks hold one thread, not a thousand.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import os
import threading
import weakref
from typing import Any, Callable, Dict, Hashable, Optional, TypeVar

from ._errors import NonceStoreTimeout
from ._rate import COST_STANDARD, TierSpec
from .store import NonceStore, StreamStats

__all__ = ["AsyncNonceStore", "AsyncAPILock"]

T = TypeVar("T")

_pool_guard = threading.Lock()
_pool: Optional[concurrent.futures.ThreadPoolExecutor] = None


def _executor() -> concurrent.futures.ThreadPoolExecutor:
    # Our own pool: a busy default executor must not delay nonces, nor nonces starve it.
    global _pool
    with _pool_guard:
        if _pool is None:
            _pool = concurrent.futures.ThreadPoolExecutor(max_workers=16, thread_name_prefix="noncestore")
        return _pool


def _forget_pool_in_child() -> None:
    global _pool, _pool_guard
    _pool, _pool_guard = None, threading.Lock()  # the parent's threads do not exist here


os.register_at_fork(after_in_child=_forget_pool_in_child)


async def _off_loop(function: Callable[..., T], *args: Any) -> T:
    return await asyncio.get_running_loop().run_in_executor(_executor(), functools.partial(function, *args))


def _task_owner() -> Hashable:
    task = asyncio.current_task()
    if task is None:
        raise RuntimeError("AsyncNonceStore is used from a coroutine running in a task")
    return ("task", id(task))


class AsyncNonceStore:
    """A NonceStore for asyncio code; `NonceStore.asyncio()` or `await AsyncNonceStore.open(...)`.

    The API lock is reentrant for the task holding it (a child task is another owner and waits).
    """

    def __init__(self, store: NonceStore) -> None:
        self.store = store
        # One FIFO gate per event loop: only its head waits (on a thread) for the lock itself.
        self._gates: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock]" = weakref.WeakKeyDictionary()

    @classmethod
    async def open(cls, location: Optional[str] = None, stream: Optional[str] = None, *, tier: TierSpec = None,
                   wait: float = 10.0, claim_wait: Optional[float] = None) -> "AsyncNonceStore":
        """Opens a store without blocking the loop; the arguments are NonceStore's."""
        store = await _off_loop(functools.partial(NonceStore, location, stream, tier=tier, wait=wait,
                                                  claim_wait=claim_wait))
        return cls(store)

    @property
    def stream(self) -> str:
        return self.store.stream

    async def next(self, *, label: Optional[str] = None, cost: float = COST_STANDARD,
                   apply_rate_limiting: bool = True) -> int:
        """NonceStore.next, awaited."""
        return await _off_loop(self.store._next, _task_owner(), label, cost, apply_rate_limiting)

    async def jump(self, *, seconds: Optional[float] = None, nanoseconds: Optional[int] = None,
                   reason: str = "jump") -> int:
        """NonceStore.jump, awaited."""
        return await _off_loop(functools.partial(self.store.jump, seconds=seconds, nanoseconds=nanoseconds,
                                                 reason=reason))

    async def stats(self) -> StreamStats:
        return await _off_loop(self.store.stats)

    def api_lock(self, *, timeout: Optional[float] = None, cost: float = COST_STANDARD,
                 apply_rate_limiting: bool = True) -> "AsyncAPILock":
        """`async with store.api_lock(): await send(await store.next())`; see NonceStore.api_lock."""
        self.store._validate_cost(cost)
        return AsyncAPILock(self, timeout, cost, apply_rate_limiting)

    async def close(self) -> None:
        await _off_loop(self.store.close)

    async def __aenter__(self) -> "AsyncNonceStore":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _gate(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        gate = self._gates.get(loop)
        if gate is None:
            gate = asyncio.Lock()
            self._gates[loop] = gate
        return gate


class AsyncAPILock:
    """See AsyncNonceStore.api_lock."""

    def __init__(self, owner_store: AsyncNonceStore, timeout: Optional[float], cost: float,
                 apply_rate_limiting: bool) -> None:
        self._async_store = owner_store
        self._timeout = timeout
        self._cost = cost
        self._apply = apply_rate_limiting
        self._gated: Dict[Hashable, asyncio.Lock] = {}

    async def __aenter__(self) -> "AsyncAPILock":
        store = self._async_store.store
        owner = _task_owner()
        if store._api_lock.held_by(owner):  # reentry: no gate, no wait
            await _off_loop(store._enter_lock, owner, self._timeout, self._cost, self._apply)
            return self
        gate = self._async_store._gate()
        loop = asyncio.get_running_loop()
        start = loop.time()
        try:
            if self._timeout is None:
                await gate.acquire()
            else:
                await asyncio.wait_for(gate.acquire(), self._timeout)
        except asyncio.TimeoutError:
            raise NonceStoreTimeout(f"the API lock of stream '{store.stream}' in {store.description} was not free "
                                    f"within {self._timeout} s (held by another task)") from None
        left = None if self._timeout is None else max(0.0, self._timeout - (loop.time() - start))
        cancelled = threading.Event()
        future = loop.run_in_executor(_executor(), functools.partial(
            store._enter_lock, owner, left, self._cost, self._apply, cancelled))
        try:
            await asyncio.shield(future)
        except asyncio.CancelledError:
            # The thread may be about to take the lock: stop it, and give back what it took.
            cancelled.set()

            def give_back(entered: "asyncio.Future[None]") -> None:
                if not entered.cancelled() and entered.exception() is None:
                    loop.run_in_executor(_executor(), store._exit_lock, owner)

            future.add_done_callback(give_back)
            gate.release()
            raise
        except BaseException:
            gate.release()
            raise
        self._gated[owner] = gate
        return self

    async def __aexit__(self, *exc: object) -> None:
        store = self._async_store.store
        owner = _task_owner()
        try:
            await _off_loop(store._exit_lock, owner)
        finally:
            if not store._api_lock.held_by(owner):  # the outermost exit opens the gate
                gate = self._gated.pop(owner, None)
                if gate is not None:
                    gate.release()
