"""asyncio: nonces and the API lock never block the event loop; tasks take the lock in
turn; a cancelled waiter leaves nothing held."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from typing import List

import pytest
from conftest import Database

from noncestore import AsyncNonceStore, NonceStore, NonceStoreTimeout


def test_a_nonce_waiting_for_a_busy_database_does_not_block_the_loop(sqlite_database: Database) -> None:
    """Another connection holds SQLite's write lock for 0.5 s: the awaited nonce waits, and
    the loop keeps running other tasks meanwhile (a blocked loop would tick zero times)."""
    blocker = sqlite3.connect(sqlite_database.location, isolation_level=None, check_same_thread=False)
    blocker.execute("BEGIN IMMEDIATE")
    threading.Timer(0.5, lambda: blocker.execute("COMMIT")).start()

    async def main() -> None:
        store = await AsyncNonceStore.open(sqlite_database.location, stream="kraken")
        ticks = 0
        nonce_task = asyncio.ensure_future(store.next())
        while not nonce_task.done():
            ticks += 1
            await asyncio.sleep(0.01)
        assert await nonce_task > 0
        assert ticks >= 20
        await store.close()

    asyncio.run(main())
    blocker.close()


def test_tasks_take_the_lock_in_turn_without_blocking_the_loop(database: Database) -> None:
    async def main() -> None:
        store = NonceStore(database.location, stream=database.stream).asyncio()
        inside = 0
        overlaps = 0
        nonces: List[int] = []

        async def call() -> None:
            nonlocal inside, overlaps
            async with store.api_lock():
                inside += 1
                overlaps += inside > 1
                nonces.append(await store.next())
                await asyncio.sleep(0.002)
                inside -= 1

        ticker_runs = 0

        async def ticker() -> None:
            nonlocal ticker_runs
            while True:
                ticker_runs += 1
                await asyncio.sleep(0.005)

        ticking = asyncio.ensure_future(ticker())
        await asyncio.gather(*(call() for _ in range(40)))
        ticking.cancel()
        assert overlaps == 0
        assert nonces == sorted(nonces) and len(set(nonces)) == 40  # taken in lock order
        assert ticker_runs > 5
        await store.close()

    asyncio.run(main())


def test_the_lock_is_reentrant_for_its_task(database: Database) -> None:
    async def main() -> None:
        store = await AsyncNonceStore.open(database.location, stream=database.stream)
        lock = store.api_lock()
        async with lock:
            async with lock:
                first = await store.next()
            second = await store.next()
        assert second > first
        async with store.api_lock(timeout=1):  # free again: the gate was opened once
            pass
        await store.close()

    asyncio.run(main())


def test_a_thread_holding_the_lock_keeps_tasks_out_until_the_timeout(database: Database) -> None:
    sync_store = NonceStore(database.location, stream=database.stream)
    entered, leave = threading.Event(), threading.Event()

    def hold() -> None:
        with sync_store.api_lock():
            entered.set()
            leave.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    assert entered.wait(10)

    async def main() -> None:
        store = sync_store.asyncio()
        started = time.monotonic()
        with pytest.raises(NonceStoreTimeout):
            async with store.api_lock(timeout=0.3):
                pass
        assert time.monotonic() - started >= 0.3
        # A cancelled waiter: cancelled while the thread holds the lock, then the lock is
        # released; the cancelled task must not end up holding it.
        waiter = asyncio.ensure_future(store.api_lock().__aenter__())
        await asyncio.sleep(0.1)
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        leave.set()
        await asyncio.sleep(0.3)
        async with store.api_lock(timeout=5):
            assert await store.next() > 0

    asyncio.run(main())
    holder.join()
    sync_store.close()
