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
from typing import Any, Callable, Dict, Hashable, Optional, TypeVar

from ._errors import NonceStoreTimeout
from ._rate import COST_STANDARD, TierSpec
from .store import NonceStore, StreamStats

__all__ = ["AsyncNonceStore", "AsyncAPILock"]

T = TypeVar("T")

_pool_guard = threading.Lock()
_pools: Dict[str, concurrent.futures.ThreadPoolExecutor] = {}


def _executor(kind: str = "database") -> concurrent.futures.ThreadPoolExecutor:
    """Our own pools: a busy default executor must not delay nonces, nor nonces starve it.
    Waits for the API lock have a pool of their own ("lock"), so that however many loops
    wait, the holder's database calls always find a thread."""
    with _pool_guard:
        pool = _pools.get(kind)
        if pool is None:
            pool = concurrent.futures.ThreadPoolExecutor(max_workers=16, thread_name_prefix=f"noncestore-{kind}")
            _pools[kind] = pool
        return pool


def _forget_pool_in_child() -> None:
    global _pool_guard
    _pools.clear()  # the parent's threads do not exist here
    _pool_guard = threading.Lock()


os.register_at_fork(after_in_child=_forget_pool_in_child)


async def _off_loop(function: Callable[..., T], *args: Any) -> T:
    return await asyncio.get_running_loop().run_in_executor(_executor(), functools.partial(function, *args))


def _task_owner() -> Hashable:
    task = asyncio.current_task()
    if task is None:
        raise RuntimeError("AsyncNonceStore is used from a coroutine running in a task")
    return ("task", task)  # the task itself, not its id: ids are reused once a task is gone


class AsyncNonceStore:
    """A NonceStore for asyncio code; `NonceStore.asyncio()` or `await AsyncNonceStore.open(...)`.

    The API lock is reentrant for the task holding it (a child task is another owner and waits).
    """

    def __init__(self, store: NonceStore) -> None:
        self.store = store

    @classmethod
    async def open(cls, location: Optional[str] = None, stream: Optional[str] = None, *, tier: TierSpec = None,
                   wait: float = 10.0, claim_wait: Optional[float] = None, create: bool = True,
                   unit: Optional[str] = None, max_nonce: Optional[int] = None,
                   exchange: Optional[str] = None) -> "AsyncNonceStore":
        """Opens a store without blocking the loop; the arguments are NonceStore's."""
        store = await _off_loop(functools.partial(NonceStore, location, stream, tier=tier, wait=wait,
                                                  claim_wait=claim_wait, create=create, unit=unit,
                                                  max_nonce=max_nonce, exchange=exchange))
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
        """The loop's FIFO gate of this stream: only its head waits (on a thread) for the lock."""
        loop = asyncio.get_running_loop()
        gates = self.store._api_lock.async_gates
        gate = gates.get(loop)
        if gate is None:
            gate = asyncio.Lock()
            gates[loop] = gate
        return gate


class AsyncAPILock:
    """See AsyncNonceStore.api_lock."""

    def __init__(self, owner_store: AsyncNonceStore, timeout: Optional[float], cost: float,
                 apply_rate_limiting: bool) -> None:
        self._async_store = owner_store
        self._timeout = timeout
        self._cost = cost
        self._apply = apply_rate_limiting

    async def __aenter__(self) -> "AsyncAPILock":
        store = self._async_store.store
        owner = _task_owner()
        loop = asyncio.get_running_loop()
        if store._api_lock.held_by(owner):  # reentry: no gate, no wait for the lock
            cancelled = threading.Event()
            await self._entered(loop, loop.run_in_executor(_executor(), functools.partial(
                store._enter_lock, owner, self._timeout, self._cost, self._apply, cancelled)), owner, cancelled)
            return self
        gate = self._async_store._gate()
        start = loop.time()
        if not gate.locked():
            await gate.acquire()  # free: no suspension, so a zero timeout can still enter
        else:
            try:
                if self._timeout is None:
                    await gate.acquire()
                else:
                    await asyncio.wait_for(gate.acquire(), self._timeout)
            except asyncio.TimeoutError:
                raise NonceStoreTimeout(f"the API lock of stream '{store.stream}' in {store.description} was not "
                                        f"free within {self._timeout} s (held by another task)") from None
        left = None if self._timeout is None else max(0.0, self._timeout - (loop.time() - start))
        cancelled = threading.Event()
        try:
            await self._entered(loop, loop.run_in_executor(_executor("lock"), functools.partial(
                store._enter_lock, owner, left, self._cost, self._apply, cancelled)), owner, cancelled)
        except BaseException:
            gate.release()
            raise
        store._api_lock.gates_passed[owner] = gate
        return self

    async def _entered(self, loop: asyncio.AbstractEventLoop, entry: "asyncio.Future[None]", owner: Hashable,
                       cancelled: Optional[threading.Event] = None) -> None:
        """Awaits an entry running on a thread; if this task is cancelled meanwhile, the
        entry is told to stop, and whatever it took is given back when it finishes."""
        try:
            await asyncio.shield(entry)
        except asyncio.CancelledError:
            if cancelled is not None:
                cancelled.set()
            store = self._async_store.store

            def give_back(done: "asyncio.Future[None]") -> None:
                if not done.cancelled() and done.exception() is None:
                    leaving = loop.run_in_executor(_executor(), store._exit_lock, owner)
                    leaving.add_done_callback(lambda _: _open_gate_if_left(store, owner))
                else:  # it gave up by itself; an outer exit may have run meanwhile
                    _open_gate_if_left(store, owner)

            entry.add_done_callback(give_back)
            raise

    async def __aexit__(self, *exc: object) -> None:
        store = self._async_store.store
        owner = _task_owner()
        loop = asyncio.get_running_loop()
        leaving = loop.run_in_executor(_executor(), store._exit_lock, owner)
        try:
            # Shielded: a cancelled task still leaves the lock (the exit runs to its end).
            await asyncio.shield(leaving)
        except asyncio.CancelledError:
            leaving.add_done_callback(lambda _: _open_gate_if_left(store, owner))
            raise
        finally:
            if leaving.done():
                _open_gate_if_left(store, owner)


def _open_gate_if_left(store: NonceStore, owner: Hashable) -> None:
    """Once `owner` holds the lock no more (its outermost entry left), the next task of its
    loop may go. Runs on the loop's thread."""
    lock = store._api_lock
    if not lock.held_by(owner):
        gate = lock.gates_passed.pop(owner, None)
        if gate is not None:
            gate.release()
