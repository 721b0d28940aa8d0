"""`NonceStore`: one shared stream of a NonceStore database (SQLite file or PostgreSQL URI)."""

from __future__ import annotations

import dataclasses
import logging
import math
import os
import threading
import time
import unicodedata
import weakref
from typing import TYPE_CHECKING, Any, Callable, Dict, Hashable, List, Optional, Union

from . import _apilock
from ._apilock import Charge, StreamAPILock
from ._errors import NonceStoreError, NonceStoreTimeout
from ._postgres_location import is_postgres_uri
from ._rate import COST_STANDARD, RateLimit, TierSpec, hold, rate_limit, take
from ._stream_rules import DEFAULT_UNIT, UNITS, RequestedRules

if TYPE_CHECKING:
    from ._backend import Backend
    from .aio import AsyncNonceStore

__all__ = ["NonceStore", "StreamStats", "APILock", "DEFAULT_DATABASE", "DEFAULT_STREAM"]

_logger = logging.getLogger("noncestore")

DEFAULT_DATABASE = "nonces.sqlite"
"""The database when neither the call nor $NONCE_DB names one (as the `nonce` CLI)."""
DEFAULT_STREAM = "default"


@dataclasses.dataclass(frozen=True)
class StreamStats:
    """A stream's figures, as the `stream_state` view holds them (times in ns since the epoch;
    nonces in the stream's unit)."""

    stream: str
    mode: str
    unit: str
    """What one step of the stream's nonce is worth: s, ms, us, 10ns or ns."""
    max_nonce: Optional[int]
    """The stream's ceiling; None: 2^63-1."""
    exchange: Optional[str]
    """The exchange preset the stream was created from, if any."""
    last_issued: int
    high_water_mark: int
    issued_total: int
    jumps: int
    clock_regressions: int
    rejections_in_a_row: int
    rejections_total: int
    rate_counter: Optional[float]
    holder_pid: Optional[int]
    updated_at: int
    lead_over_clock_ns: int
    """How far the last nonce, read as a time in the stream's unit, is ahead of this host's
    clock, in nanoseconds (0 when behind)."""
    row: Dict[str, Any]
    """Every column of the view, by name."""


class NonceStore:
    """One shared stream; safe to share between threads, and between processes through
    the database (every process and language on the stream draws from one sequence).

    `location`: a SQLite file or a `postgresql://` URI (default $NONCE_DB, else
    `nonces.sqlite`); `stream`: default $NONCE_STREAM, else `default`. With `create` (the
    default), a missing SQLite database, PostgreSQL schema and stream are created (the stream
    shared, as Python processes need), as the CLI creates them. `create=False` refuses what is
    missing instead; an older PostgreSQL schema is upgraded either way, as the Swift side does.

    A stream's rules are set when it is created: `unit` (what one step of its nonce is worth:
    `"s"`, `"ms"`, `"us"`, `"10ns"` or `"ns"`, the default), `max_nonce` (its ceiling, none
    below 2^63-1 by default) and `exchange` (a preset of `exchange-presets.json`, which gives
    the unit and ceiling the call does not). Opening an existing stream with a unit or ceiling
    (given, or from the preset) other than its own is refused (`invalid_argument`).

    `tier`: the key's rate limit, `"starter"`, `"intermediate"`, `"pro"` or
    `(maximum, decay per second)` (default $NONCE_TIER, else none). `wait`: seconds a write
    may wait for a busy database. `claim_wait`: seconds to wait for the stream while a mode
    switch holds it (None: fail at once). `clock` and `sleep` are for tests.
    """

    def __init__(self, location: Union[str, "os.PathLike[str]", None] = None, stream: Optional[str] = None, *,
                 tier: TierSpec = None, wait: float = 10.0, claim_wait: Optional[float] = None, create: bool = True,
                 clock: Optional[Callable[[], int]] = None, sleep: Optional[Callable[[float], None]] = None,
                 unit: Optional[str] = None, max_nonce: Optional[int] = None, exchange: Optional[str] = None) -> None:
        self.location = os.fspath(location) if location is not None else (os.environ.get("NONCE_DB") or DEFAULT_DATABASE)
        self.stream = _stream_name(stream)
        # Before the database is touched: a wrong argument creates nothing.
        rules = RequestedRules.from_arguments(unit, max_nonce, exchange)
        self.rate_limit: Optional[RateLimit] = rate_limit(tier if tier is not None else os.environ.get("NONCE_TIER"))
        self._clock = clock or time.time_ns
        self._sleep = sleep or time.sleep
        self._mutex = threading.Lock()  # one database call at a time on the backend
        self._closed = False
        self._pid = os.getpid()
        self._backend = self._open_backend(float(wait), claim_wait, create, rules)
        backend = self._backend
        self._api_lock: StreamAPILock = _apilock.lock_for(backend.lock_key, backend.cross_process_lock)
        _open_stores.add(self)

    def _open_backend(self, wait: float, claim_wait: Optional[float], create: bool,
                      rules: RequestedRules) -> "Backend":
        if is_postgres_uri(self.location):
            from ._postgres import PostgresBackend
            return PostgresBackend(self.location, self.stream, wait, claim_wait, create, rules)
        if "://" in self.location:
            scheme = self.location.split("://", 1)[0]
            raise NonceStoreError("invalid_argument", f"'{scheme}://...' is neither a file path nor a postgresql:// "
                                  f"URI (stream '{self.stream}')")
        from ._sqlite import SQLiteBackend
        return SQLiteBackend(self.location, self.stream, wait, claim_wait, create, rules)

    @property
    def description(self) -> str:
        """The database as messages name it (a URI's password left out)."""
        return self._backend.description

    def _call(self, body: Callable[["Backend"], Any]) -> Any:
        with self._mutex:
            if self._closed:
                raise NonceStoreError("closed", f"the NonceStore of stream '{self.stream}' in {self.description} is "
                                      f"closed")
            return body(self._backend)

    # -- nonces ---------------------------------------------------------------------------

    def next(self, *, label: Optional[str] = None, cost: float = COST_STANDARD,
             apply_rate_limiting: bool = True) -> int:
        """The next nonce: the time since the epoch in the stream's unit (nanoseconds, 19
        digits, unless the stream was created with another), above every nonce the stream has
        issued to any process, committed to disk before it is returned. A stream at its
        ceiling refuses (`exhausted`).

        With a tier, first waits until `cost` fits under the key's shared counter, except
        for the first nonce inside an API-lock body, whose call the lock's entry paid for.
        """
        return self._next(_apilock.thread_owner(), label, cost, apply_rate_limiting)

    def _next(self, owner: Hashable, label: Optional[str], cost: float, apply_rate_limiting: bool) -> int:
        self._call(lambda b: b.require_shared())
        if apply_rate_limiting and self.rate_limit is not None:
            lock = self._api_lock
            charge = lock.charges[-1] if lock.held_by(owner) and lock.charges else None
            if charge is not None and charge.unused:
                charge.unused = False
            else:
                self._acquire_rate(cost)
        return int(self._call(lambda b: b.issue(label, os.getpid())))

    def jump(self, *, seconds: Optional[float] = None, nanoseconds: Optional[int] = None,
             reason: str = "jump") -> int:
        """Moves the stream's floor to max(floor, now) + the given span, durably, recorded as a
        `jump` event: for a key whose exchange-side nonce is ahead (a nonce window error, or a
        key that another client used). Returns the new floor, in the stream's unit (the span
        is converted to it, rounded up: 60 s is 60,000 on a ms stream); every later nonce is
        above it. A jump past the stream's ceiling is refused (`exhausted`)."""
        if (seconds is None) == (nanoseconds is None):
            raise ValueError("jump takes seconds= or nanoseconds=, one of them")
        if nanoseconds is None:
            assert seconds is not None
            if not (math.isfinite(seconds) and seconds > 0):
                raise ValueError(f"jump takes a positive number of seconds, not {seconds!r}")
            by_ns = math.ceil(seconds * 1e9)
        else:
            if isinstance(nanoseconds, bool) or int(nanoseconds) != nanoseconds or nanoseconds <= 0:
                raise ValueError(f"jump takes a positive whole number of nanoseconds, not {nanoseconds!r}")
            by_ns = int(nanoseconds)
        self._call(lambda b: b.require_shared())
        return int(self._call(lambda b: b.jump(by_ns, reason)))

    def stats(self) -> StreamStats:
        """The stream's figures, read from the database (every process's nonces counted)."""
        row = self._call(lambda b: b.stream_state())
        last = int(row["last_issued"] or 0)
        unit = row.get("unit") or DEFAULT_UNIT  # a SQLite database before schema 9 has no rules
        max_nonce = row.get("max_nonce")
        return StreamStats(
            stream=row["stream"], mode=row["mode"], unit=unit, max_nonce=None if max_nonce is None else int(max_nonce),
            exchange=row.get("exchange"), last_issued=last, high_water_mark=int(row["high_water_mark"]),
            issued_total=int(row["issued_total"]), jumps=int(row["jumps"]),
            clock_regressions=int(row["clock_regressions"]), rejections_in_a_row=int(row["rejections_in_a_row"]),
            rejections_total=int(row["rejections_total"]), rate_counter=row.get("rate_counter"),
            holder_pid=row.get("holder_pid"), updated_at=int(row["updated_at"]),
            lead_over_clock_ns=max(0, last * UNITS[unit] - time.time_ns()), row=dict(row))

    # -- the API lock ---------------------------------------------------------------------

    def api_lock(self, *, timeout: Optional[float] = None, cost: float = COST_STANDARD,
                 apply_rate_limiting: bool = True) -> "APILock":
        """The stream's API lock: `with store.api_lock(): send(store.next())`.

        Exclusive across threads, processes, languages (the Swift side takes the same lock)
        and, on PostgreSQL, hosts, so private calls leave in nonce order. Reentrant for the
        thread holding it. `timeout`: seconds to wait (None: as long as it takes), then
        NonceStoreTimeout. With a tier, the entry then waits (holding the lock) until `cost`
        fits under the counter, and the first nonce of the body is that call's.
        """
        self._validate_cost(cost)
        return APILock(self, timeout, cost, apply_rate_limiting)

    def _enter_lock(self, owner: Hashable, timeout: Optional[float], cost: float, apply_rate_limiting: bool,
                    cancelled: Optional[threading.Event] = None) -> None:
        self._call(lambda b: b.require_shared())
        deadline = None if timeout is None else time.monotonic() + timeout
        if not self._api_lock.acquire(owner, deadline, cancelled):
            raise NonceStoreTimeout(f"the API lock of stream '{self.stream}' in {self.description} was not free "
                                    f"within {timeout} s (held in this process or another)")
        charge = None
        try:
            # Taken under the lock: a charge taken while waiting for it would decay before its
            # call reaches the exchange, letting another process's call use the same room.
            if apply_rate_limiting and self.rate_limit is not None:
                charge = Charge(self._acquire_rate(cost, cancelled), cost)
        except BaseException:
            self._api_lock.release(owner)
            raise
        self._api_lock.charges.append(charge)

    def _exit_lock(self, owner: Hashable) -> None:
        lock = self._api_lock
        try:
            charge = lock.charges.pop() if lock.held_by(owner) and lock.charges else None
            if charge is not None:
                self._hold_charge(charge)
        finally:
            lock.release(owner)

    # -- the rate counter -----------------------------------------------------------------

    def _validate_cost(self, cost: float) -> None:
        if not (cost > 0 and math.isfinite(cost)):
            raise ValueError(f"a call's cost must be positive, not {cost}")
        if self.rate_limit is not None and cost > self.rate_limit.maximum:
            raise ValueError(f"a call costing {cost} can never fit under a counter maximum of {self.rate_limit.maximum}")

    def wait_for_rate_limit(self, cost: float = COST_STANDARD) -> None:
        """Waits until `cost` fits under the key's counter and takes it (nothing without a tier)."""
        if self.rate_limit is not None:
            self._acquire_rate(cost)

    def _acquire_rate(self, cost: float, cancelled: Optional[threading.Event] = None) -> int:
        """Sleeps until `cost` fits, takes it, and returns the clock reading it was taken at.
        Raises Cancelled when `cancelled` (an asyncio waiter gone) is set between sleeps."""
        self._validate_cost(cost)
        limit = self.rate_limit
        assert limit is not None
        while True:
            if cancelled is not None and cancelled.is_set():
                raise _apilock.Cancelled()
            now = self._clock()
            wait = int(self._call(lambda b: b.update_counter(lambda saved: take(saved, limit, float(cost), now))))
            if wait == 0:
                return now
            self._sleep(wait / 1e9 if cancelled is None else min(wait / 1e9, 0.05))

    def _hold_charge(self, charge: Charge) -> None:
        """At the end of an API-lock body: the exchange counts a call when it arrives, which
        can be as late as now, so the counter must not have decayed below it since the take."""
        limit = self.rate_limit
        assert limit is not None
        try:
            now = self._clock()
            self._call(lambda b: b.update_counter(lambda saved: (None, hold(saved, limit, charge.cost,
                                                                              charge.taken_at, now))))
        except NonceStoreError as error:
            # Not raised: the call has gone out, and an error here could make the caller
            # think it failed and send it again. The next take meets the same problem.
            _logger.warning("could not hold the rate counter's charge at the end of an API-lock body: %s", error)

    # -- asyncio, closing, forks ----------------------------------------------------------

    def asyncio(self) -> "AsyncNonceStore":
        """This store for asyncio code: awaitable nonces and an `async with` lock that never
        block the event loop."""
        from .aio import AsyncNonceStore
        return AsyncNonceStore(self)

    def close(self) -> None:
        """Closes the connection and lets go of the stream. Using it afterwards raises."""
        with self._mutex:
            if self._closed:
                return
            self._closed = True
            self._backend.close()

    def __enter__(self) -> "NonceStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            if self._pid == os.getpid() and not self._closed:
                self._backend.close()
        except Exception:
            pass

    def _after_fork_in_child(self) -> None:
        self._mutex = threading.Lock()  # the parent's was held across the fork
        self._pid = os.getpid()
        self._backend.after_fork_in_child()

    def __repr__(self) -> str:
        return f"NonceStore({self.description!r}, stream={self.stream!r})"


class APILock:
    """`with store.api_lock(): ...`; also `acquire()` / `release()`, as the guide's lock objects.
    See NonceStore.api_lock."""

    def __init__(self, store: NonceStore, timeout: Optional[float], cost: float, apply_rate_limiting: bool) -> None:
        self._store = store
        self._timeout = timeout
        self._cost = cost
        self._apply = apply_rate_limiting

    def __enter__(self) -> "APILock":
        self._store._enter_lock(_apilock.thread_owner(), self._timeout, self._cost, self._apply)
        return self

    def __exit__(self, *exc: object) -> None:
        self._store._exit_lock(_apilock.thread_owner())

    def acquire(self) -> bool:
        self.__enter__()
        return True

    def release(self) -> None:
        self.__exit__(None, None, None)


_open_stores: "weakref.WeakSet[NonceStore]" = weakref.WeakSet()
_held_over_fork: List[NonceStore] = []


def _before_fork() -> None:
    # No database call is half done at the fork: the child then starts from idle connections.
    # (A thread holds one store's mutex at a time, so taking them in one order cannot deadlock.)
    stores = sorted(_open_stores, key=id)
    for store in stores:
        store._mutex.acquire()
    _held_over_fork[:] = stores


def _after_fork_in_parent() -> None:
    for store in _held_over_fork:
        store._mutex.release()
    _held_over_fork.clear()


def _after_fork_in_child() -> None:
    _held_over_fork.clear()
    for store in list(_open_stores):
        store._after_fork_in_child()


os.register_at_fork(before=_before_fork, after_in_parent=_after_fork_in_parent, after_in_child=_after_fork_in_child)



def _stream_name(given: Optional[str]) -> str:
    """The stream to use, in Unicode normal form C as every client stores names: 'café' typed
    precomposed or decomposed is one stream. An empty name, given or in $NONCE_STREAM, is
    refused as the CLI refuses it, rather than quietly meaning 'default'."""
    if given is None:
        given = os.environ.get("NONCE_STREAM")
        if given == "":
            raise NonceStoreError("invalid_stream_name", "$NONCE_STREAM is set but empty: set it to a stream name, "
                                  "or unset it for 'default'")
        if given is None:
            given = DEFAULT_STREAM
    if given == "":
        raise NonceStoreError("invalid_stream_name", "invalid stream name '': it is empty")
    return unicodedata.normalize("NFC", given)
