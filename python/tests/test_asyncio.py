"""asyncio: nonces and the API lock never block the event loop; tasks take the lock in
turn; a cancelled waiter leaves nothing held."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from typing import List

import pytest
from conftest import Database, child

from noncestore import AsyncNonceStore, NonceStore, NonceStoreTimeout


def test_a_nonce_waiting_for_a_busy_database_does_not_block_the_loop(sqlite_database: Database) -> None:
    """Another connection holds SQLite's write lock for 0.5 s: the awaited nonce waits, and
    the loop keeps running other tasks meanwhile (a blocked loop would tick zero times)."""
    blocker = sqlite3.connect(sqlite_database.location, isolation_level=None, check_same_thread=False)

    async def main() -> None:
        store = await AsyncNonceStore.open(sqlite_database.location, stream="kraken")
        blocker.execute("BEGIN IMMEDIATE")
        nonce_task = asyncio.ensure_future(store.next())
        ticks = 0
        while ticks < 20:  # the loop runs other tasks while the nonce waits
            ticks += 1
            await asyncio.sleep(0.01)
        assert not nonce_task.done()
        blocker.execute("COMMIT")
        assert await nonce_task > 0
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


def test_cancelled_at_any_point_a_task_leaves_nothing_held(database: Database) -> None:
    """Cancelled in a reentrant entry (waiting for the rate counter), and while leaving:
    afterwards another process can take the lock at once."""
    async def main() -> None:
        now = [time.time_ns()]
        store = NonceStore(database.location, stream=database.stream, tier=(2, 0.5), clock=lambda: now[0],
                           sleep=lambda seconds: time.sleep(min(seconds, 0.05))).asyncio()

        async def reentry_waits_for_room() -> None:
            async with store.api_lock():
                await store.next()  # the call the entry paid for
                await store.next()  # a second: the counter is full, and the clock stands still
                async with store.api_lock():
                    pass

        task = asyncio.ensure_future(reentry_waits_for_room())
        await asyncio.sleep(0.3)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        now[0] += 10_000_000_000  # the counter drains

        async def leave() -> None:
            async with store.api_lock():
                await store.next()

        for delay in (0, 0.0005, 0.002):
            task = asyncio.ensure_future(leave())
            await asyncio.sleep(delay)
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
        await asyncio.sleep(0.3)  # shielded exits finish on their threads
        async with store.api_lock(timeout=5):  # this loop's gate is open again
            pass

    asyncio.run(main())
    holder = child(database.location, database.stream, "hold-lock")
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    finally:
        holder.communicate(timeout=30)


def test_many_async_views_of_one_stream_do_not_starve_the_holder(database: Database) -> None:
    """Forty clients, each with its own async view of the stream, call at once: one thread
    waits for the lock per loop, so the holder's database calls always find a thread."""
    async def main() -> None:
        base = NonceStore(database.location, stream=database.stream)
        views = [base.asyncio() for _ in range(40)]

        async def call(view: AsyncNonceStore) -> int:
            async with view.api_lock(timeout=60):
                return await view.next()

        nonces = await asyncio.wait_for(asyncio.gather(*(call(view) for view in views)), 120)
        assert len(set(nonces)) == 40
        base.close()

    asyncio.run(main())


def test_a_zero_timeout_enters_a_free_lock(database: Database) -> None:
    async def main() -> None:
        store = await AsyncNonceStore.open(database.location, stream=database.stream)
        async with store.api_lock(timeout=0):
            assert await store.next() > 0
        await store.close()

    asyncio.run(main())
