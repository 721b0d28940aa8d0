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
"default"), the rate limit tier $NONCE_TIER (starter, intermediate or pro; default none).

The promises kept, as the Swift side keeps them (Linux only, Python 3.9+):

- Nonces: one durable `BEGIN IMMEDIATE` transaction each through `nonce_requests`
  (migration 2). A busy database is retried at a short flat interval for up to `wait`
  seconds (10 by default) with no turn before an error says so.
- The API lock (`with get_kraken_api_lock(): ...`, `manager.api_lock()`): reentrant for the
  thread holding it, first come first served between the threads of this process (every
  manager of one stream in one process shares it), and exclusive across processes: an
  open-file-description lock on byte 2^40 + 2^32 + stream_id of the database file itself,
  the byte the Swift side locks. The kernel drops it if the process dies.
- While a manager is open on a shared stream, the process holds the stream's claim byte
  (2^40 + stream_id in the same file) shared, as Swift processes do, so the stream cannot be
  switched to exclusive under it.
- Rate limiting (a tier configured): the counter in `rate_counters`, shared with every
  process and restart, taken and decayed with the same arithmetic as Swift; an API-lock
  body that took a counted call holds its charge when it ends (see `_hold_charge`).
- `jump_forward(ns)`: a real jump through `nonce_jumps` (migration 4), recorded as a `jump`
  event and counted in `jumps`.
"""

import collections
import errno
import fcntl
import logging
import math
import os
import random
import sqlite3
import struct
import threading
import time
import weakref

__all__ = [
    "NonceStoreManager",
    "NonceStoreError",
    "NonceStoreTimeout",
    "RateLimit",
    "TIERS",
    "COST_STANDARD",
    "COST_HISTORY",
    "configure_global_nonce_manager",
    "reset_global_nonce_manager",
    "get_global_nonce_manager",
    "get_kraken_nonce",
    "get_global_kraken_nonce",
    "get_global_nonce_stats",
    "get_kraken_api_lock",
]


_logger = logging.getLogger("noncestore")


class NonceStoreError(RuntimeError):
    """The store refused: no such stream, an exclusive stream, a newer schema, a database
    that stayed locked, or another database problem. The message names the stream and file."""


class NonceStoreTimeout(NonceStoreError, TimeoutError):
    """The API lock was not free within the timeout (in this process and across processes)."""


# The newest schema this module knows (Migrations/0006_one_name_per_concept.sql).
SCHEMA_VERSION = 7
# The locks sit on the database file itself, from byte 2**40 up, far above the 512 bytes
# SQLite locks: a stream's claim at 2**40 + id, a shared stream's API lock at
# 2**40 + 2**32 + id (stream ids stay far below 2**32), as Sources/NonceStore/Claims/LockBytes.swift.
_CLAIM_BASE = 1 << 40
_API_LOCK_BASE = _CLAIM_BASE + (1 << 32)

# fcntl's names for the open-file-description locks (Python 3.9+ on Linux has them; the
# values are the same on every Linux architecture, asm-generic/fcntl.h).
_F_OFD_GETLK = getattr(fcntl, "F_OFD_GETLK", 36)
_F_OFD_SETLK = getattr(fcntl, "F_OFD_SETLK", 37)
_F_OFD_SETLKW = getattr(fcntl, "F_OFD_SETLKW", 38)


def _flock(lock_type, offset):
    """struct flock for one byte at `offset` (x86_64/aarch64 layout); l_pid 0, as OFD wants."""
    return struct.pack("hhqqi4x", lock_type, os.SEEK_SET, offset, 1, 0)


def _try_ofd_lock(fd, lock_type, offset, path):
    """F_OFD_SETLK: True when taken, False when a conflicting holder has the byte."""
    try:
        fcntl.fcntl(fd, _F_OFD_SETLK, _flock(lock_type, offset))
        return True
    except OSError as error:
        if error.errno in (errno.EAGAIN, errno.EACCES):
            return False
        raise NonceStoreError(f"lock file '{path}': {error.strerror}") from error


def _ofd_unlock(fd, offset):
    try:
        fcntl.fcntl(fd, _F_OFD_SETLK, _flock(fcntl.F_UNLCK, offset))
    except OSError:
        pass


def _check_database_file(path):
    """Refuses, before SQLite sees it, what the Swift side refuses: an empty file (SQLite
    would start it afresh and delete a write-ahead log beside it that may hold the newest
    marks) and a file with several hard links (SQLite keeps a log beside each name)."""
    info = os.stat(path)
    if info.st_size == 0:
        beside = [path + suffix for suffix in ("-wal", "-shm", "-locks") if os.path.exists(path + suffix)]
        if beside:
            raise NonceStoreError(f"'{path}' is empty but {', '.join(beside)} beside it show it was a database in use: "
                                  f"it was truncated or replaced. Nothing was touched; see 'Starting over' in the README")
        raise NonceStoreError(f"'{path}' is an empty file, not a NonceStore database; it was left untouched")
    if info.st_nlink > 1:
        raise NonceStoreError(f"'{path}' has {info.st_nlink} hard links: SQLite keeps its write-ahead log beside each "
                              f"name, so a database used through two names is corrupted. Remove the other links")


# Descriptors of database files for the locks above, by (device, inode). They are never
# closed while the process lives: closing any descriptor of a file drops every POSIX lock
# the process holds on it, SQLite's own included. A lock given up returns its descriptor here.
_descriptor_guard = threading.Lock()
_descriptor_pool = {}


def _borrow_descriptor(path):
    """A descriptor of the database file at `path`, and the file's (device, inode)."""
    try:
        info = os.stat(path)
        key = (info.st_dev, info.st_ino)
        with _descriptor_guard:
            free = _descriptor_pool.get(key)
            if free:
                return key, free.pop()
        fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
        info = os.fstat(fd)
        return (info.st_dev, info.st_ino), fd
    except OSError as error:
        raise NonceStoreError(f"cannot open '{path}' for its locks: {error.strerror}") from error


def _give_back(key, fd):
    with _descriptor_guard:
        _descriptor_pool.setdefault(key, []).append(fd)


def _drop_descriptors_in_child():
    # A forked child shares these descriptions, and with them the parent's locks: it starts
    # with none. Closing them here is safe, the child has no SQLite locks of its own yet.
    for fds in _descriptor_pool.values():
        for fd in fds:
            try:
                os.close(fd)
            except OSError:
                pass
    _descriptor_pool.clear()


os.register_at_fork(after_in_child=_drop_descriptors_in_child)


# ---------------------------------------------------------------------------------------
# Rate limits: the same presets and arithmetic as Sources/NonceKit/RateLimit.swift and
# Sources/NonceStore/Store/NonceStore+Protection.swift.

RateLimit = collections.namedtuple("RateLimit", ["maximum", "decay_per_second"])
RateLimit.__doc__ = "A per-key call counter: at most `maximum`, decaying `decay_per_second`."

TIERS = {
    "starter": RateLimit(15.0, 0.33),
    "intermediate": RateLimit(20.0, 0.5),
    "pro": RateLimit(20.0, 1.0),
}
COST_STANDARD = 1.0  # most private calls
COST_HISTORY = 2.0  # ledger and trade-history queries


def _rate_limit(tier):
    if not tier:
        return None
    if isinstance(tier, str):
        try:
            return TIERS[tier.lower()]
        except KeyError:
            raise ValueError(f"unknown tier '{tier}': use starter, intermediate or pro") from None
    maximum, decay = tier
    maximum, decay = float(maximum), float(decay)
    if not (maximum > 0 and math.isfinite(maximum) and decay > 0 and math.isfinite(decay)):
        raise ValueError(f"a rate limit needs a positive maximum and decay, not {tier!r}")
    return RateLimit(maximum, decay)


def _decayed(level, frm, to, per_second):
    """`level` at `frm`, decayed until `to`; a clock that stepped back decays nothing."""
    elapsed = max(0, to - frm) / 1e9
    return max(0.0, level - elapsed * per_second)


def _wait_ns(level, cost, maximum, per_second):
    """Nanoseconds until `cost` fits under `maximum` (rounded up), or 0 when it fits now."""
    excess = level + cost - maximum
    # A hair of tolerance: decimal rates (0.33/s) leave binary remainders.
    if not excess > 1e-9:
        return 0
    return int(math.ceil(excess / per_second * 1e9))


# ---------------------------------------------------------------------------------------
# The API lock: one object per (database, stream) per process.

class _Charge:
    """A counted call taken by an API-lock acquire: held when its body ends, and the first
    nonce taken inside the body (the call it paid for) is not charged again."""

    __slots__ = ("taken_at", "cost", "unused")

    def __init__(self, taken_at, cost):
        self.taken_at = taken_at
        self.cost = cost
        self.unused = True


class _StreamAPILock:
    """The API lock of one stream for this whole process.

    In the process: reentrant for the holding thread (a count), first come first served
    for the others, which wait here (not on the file). Across processes: the first (outer)
    entry takes the open-file-description lock on the stream's API byte, the last exit
    drops it.
    """

    def __init__(self, lock_path, offset):
        self.lock_path = lock_path
        self.offset = offset
        self._reset()

    def _reset(self):
        self._guard = threading.Lock()
        self._owner = None
        self._depth = 0
        self._waiters = collections.deque()
        self._fd = None
        # The charges of the bodies the owner is in, innermost last. Touched only by the owner.
        self.charges = []
        self._pid = os.getpid()

    def _after_fork_in_child(self):
        # The child shares the parent's open file description, and with it the parent's
        # locks: a fresh descriptor makes this process a holder of its own. Closing the
        # inherited one does not release the parent's lock (the parent still has it open).
        if self._fd is not None:
            try:
                os.close(self._fd)
            except OSError:
                pass
        self._reset()

    def held_by_current_thread(self):
        return self._owner == threading.get_ident() and self._pid == os.getpid()

    def acquire(self, deadline):
        """Takes the lock; False when `deadline` (time.monotonic(), None: never) passed first."""
        me = threading.get_ident()
        with self._guard:
            if self._owner == me:
                self._depth += 1
                return True
            waiter = None
            if self._owner is None and not self._waiters:
                self._owner, self._depth = me, 1
            else:
                waiter = threading.Lock()
                waiter.acquire()
                self._waiters.append((me, waiter))
        if waiter is not None and not self._wait_for_hand_off(me, waiter, deadline):
            return False
        # This thread is the process's holder now; take the byte from other processes.
        try:
            taken = self._lock_file(deadline)
        except BaseException:
            self._hand_on()
            raise
        if not taken:
            self._hand_on()
        return taken

    def _wait_for_hand_off(self, me, waiter, deadline):
        try:
            if deadline is None:
                got = waiter.acquire()
            else:
                got = waiter.acquire(timeout=max(0.0, deadline - time.monotonic()))
        except BaseException:
            got = False
            with self._guard:
                handed = (me, waiter) not in self._waiters
                if not handed:
                    self._waiters.remove((me, waiter))
            if handed:
                self._hand_on()
            raise
        if got:
            return True
        with self._guard:
            if (me, waiter) in self._waiters:
                self._waiters.remove((me, waiter))
                return False
        # Handed to us as the wait ran out: take the hand-off.
        return True

    def _lock_file(self, deadline):
        if self._fd is None:
            self._fd = _borrow_descriptor(self.lock_path)[1]
        if deadline is None:
            try:
                fcntl.fcntl(self._fd, _F_OFD_SETLKW, _flock(fcntl.F_WRLCK, self.offset))
            except OSError as error:
                raise NonceStoreError(f"lock file '{self.lock_path}': {error.strerror}") from error
            return True
        pause = 100e-6
        while True:
            if _try_ofd_lock(self._fd, fcntl.F_WRLCK, self.offset, self.lock_path):
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(pause, left))
            pause = min(pause * 2, 2e-3)

    def release(self):
        """Leaves one level; the outermost exit drops the file lock and hands the lock on."""
        with self._guard:
            if self._owner != threading.get_ident() or self._pid != os.getpid():
                return  # entered before a fork, left in the child: nothing of it is here
            self._depth -= 1
            if self._depth > 0:
                return
            _ofd_unlock(self._fd, self.offset)
        self._hand_on()

    def _hand_on(self):
        """Gives the in-process lock to the longest waiter, or frees it."""
        with self._guard:
            self.charges = []
            if self._waiters:
                self._owner, waiter = self._waiters.popleft()
                self._depth = 1
                waiter.release()
            else:
                self._owner, self._depth = None, 0


_api_locks = weakref.WeakValueDictionary()
_api_locks_guard = threading.Lock()
_managers = weakref.WeakSet()
# Connections inherited over a fork: never used or closed in the child (closing one could
# touch the parent's locks), only kept from being collected.
_inherited_connections = []


def _api_lock_for(real_db, stream, stream_id):
    with _api_locks_guard:
        key = (real_db, stream)
        lock = _api_locks.get(key)
        if lock is None or lock.offset != _API_LOCK_BASE + stream_id:
            lock = _StreamAPILock(real_db, _API_LOCK_BASE + stream_id)
            _api_locks[key] = lock
        return lock


def _after_fork_in_child():
    global _api_locks_guard, _global_guard
    _api_locks_guard = threading.Lock()
    _global_guard = threading.Lock()
    for lock in list(_api_locks.values()):
        lock._after_fork_in_child()
    for manager in list(_managers):
        manager._after_fork_in_child()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


class _APILockContext:
    """`with manager.api_lock(): nonce = manager.get_nonce(); send(...)`.

    Entering waits for the rate limit first (a configured tier, unless
    apply_rate_limiting=False), holding no lock, then for the lock: `timeout` seconds in
    this process and across processes together (None: as long as it takes), then raises
    NonceStoreTimeout. The first nonce taken inside the body is the call the entry paid
    for; when the body ends, its charge is held (see NonceStoreManager._hold_charge).
    Reentrant: entering again inside the body (same thread) does not wait for the lock.
    """

    def __init__(self, manager, timeout, cost, apply_rate_limiting):
        self._manager = manager
        self._timeout = timeout
        self._cost = cost
        self._apply = apply_rate_limiting

    def __enter__(self):
        manager = self._manager
        manager._require_shared()
        lock = manager._api_lock
        charge = None
        if self._apply and manager.rate_limit is not None:
            charge = _Charge(manager._acquire_rate(self._cost), self._cost)
        deadline = None if self._timeout is None else time.monotonic() + self._timeout
        if not lock.acquire(deadline):
            raise NonceStoreTimeout(f"the API lock of stream '{manager.stream}' in '{manager.db}' was not free "
                                    f"within {self._timeout} s (held in this process or another)")
        lock.charges.append(charge)
        return self

    def __exit__(self, *exc):
        lock = self._manager._api_lock
        try:
            charge = lock.charges.pop() if lock.held_by_current_thread() and lock.charges else None
            if charge is not None:
                self._manager._hold_charge(charge)
        finally:
            lock.release()
        return False

    # The guide's lock objects were also used as `lock.acquire()` / `lock.release()`.
    def acquire(self):
        self.__enter__()
        return True

    def release(self):
        self.__exit__(None, None, None)


# ---------------------------------------------------------------------------------------

def _is_busy(error):
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF == 5  # SQLITE_BUSY (and its extended codes)
    return "database is locked" in str(error)


class NonceStoreManager:
    """One shared stream of one NonceStore database; safe to share between threads.

    - db, stream: default $NONCE_DB (else ./nonces.sqlite), $NONCE_STREAM (else "default").
    - wait: seconds one write may go without a turn at the database's write lock before
      failing (default 10).
    - tier: the rate limit, "starter", "intermediate", "pro" or (maximum, decay per second);
      default $NONCE_TIER, else none.
    - claim_wait: seconds to wait for the stream's claim while a mode switch holds it
      (default None: do not wait, as the Swift side).
    - clock, sleep: nanoseconds since the epoch, and sleeping in seconds (for tests).
    """

    def __init__(self, db=None, stream=None, wait=None, tier=None, claim_wait=None, clock=None, sleep=None,
                 busy_timeout=None):
        self.db = db or os.environ.get("NONCE_DB") or "nonces.sqlite"
        self.stream = stream or os.environ.get("NONCE_STREAM") or "default"
        if wait is None:
            wait = busy_timeout if busy_timeout is not None else 10.0
        self.wait = float(wait)
        self.rate_limit = _rate_limit(tier if tier is not None else os.environ.get("NONCE_TIER"))
        self._claim_wait = claim_wait
        self._clock = clock or time.time_ns
        self._sleep = sleep or time.sleep
        self._mutex = threading.Lock()  # guards the connection
        self._claim_guard = threading.Lock()
        self._connection = None
        self._claim_fd = None
        self._closed = False
        self._pid = os.getpid()
        if not os.path.exists(self.db):
            raise NonceStoreError(f"no database at '{self.db}': create the stream with "
                                  f"'nonce stream create {self.stream} --shared --db {self.db}'")
        _check_database_file(self.db)
        self.real_db = os.path.realpath(self.db)
        self.lock_path = self.real_db
        try:
            self._open()
        except BaseException:
            self.close()
            raise

    def _open(self):
        self._connection = self._connect()
        self.schema_version = self._read(lambda c: c.execute("PRAGMA user_version").fetchone()[0])
        if self.schema_version > SCHEMA_VERSION:
            raise NonceStoreError(f"'{self.db}' has schema version {self.schema_version}, newer than this module "
                                  f"supports ({SCHEMA_VERSION}); use a newer noncestore.py. The file was left untouched")
        if self.schema_version < 2:
            raise NonceStoreError(f"'{self.db}' is not a NonceStore database with shared streams (schema version "
                                  f"{self.schema_version}); create the stream with "
                                  f"'nonce stream create {self.stream} --shared --db {self.db}'")
        if self.rate_limit is not None and self.schema_version < 3:
            raise NonceStoreError(f"'{self.db}' has schema version {self.schema_version}, before rate counters (3): "
                                  f"open it once with a current 'nonce' command to upgrade it")
        row = self._stream_row()
        if row is None:
            raise NonceStoreError(f"no stream '{self.stream}' in '{self.db}': create it with "
                                  f"'nonce stream create {self.stream} --shared --db {self.db}'")
        self.stream_id = row[1]
        self._api_lock = _api_lock_for(self.real_db, self.stream, self.stream_id)
        _managers.add(self)
        if row[0] == "shared":
            with self._claim_guard:
                self._claim()
        # An exclusive stream is refused when used (its holder may issue from memory); this
        # manager takes no claim on it, which would keep that holder from starting.

    # -- connection -----------------------------------------------------------------------

    def _connect(self):
        try:
            # mode=rw: never create a file; timeout 0: no SQLite busy handler, see _retrying.
            connection = sqlite3.connect(f"file:{self._quoted(self.db)}?mode=rw", uri=True, timeout=0,
                                         isolation_level=None, check_same_thread=False)
        except sqlite3.Error as error:
            raise NonceStoreError(f"cannot open database '{self.db}': {error}") from error
        # The contract: every commit synced to disk before the nonce is used.
        self._retrying(lambda: connection.execute("PRAGMA synchronous = FULL"), connection)
        return connection

    @staticmethod
    def _quoted(path):
        from urllib.parse import quote
        return quote(os.path.abspath(path))

    def _after_fork_in_child(self):
        # The parent's connection and mutex are not this process's to use.
        if self._connection is not None:
            _inherited_connections.append(self._connection)
        self._mutex = threading.Lock()
        self._claim_guard = threading.Lock()
        self._pid = os.getpid()
        self._connection = None  # a connection of its own, opened on first use

    def _retrying(self, attempt, connection=None):
        """Runs `attempt` until it gets a turn: on SQLITE_BUSY, retries every 50-500 us
        (flat and jittered, so a long waiter has the same chance as a fresh one at each
        release) until `wait` seconds passed with no turn at all."""
        waiting_since = None
        while True:
            try:
                return attempt()
            except sqlite3.OperationalError as error:
                if not _is_busy(error):
                    raise
                connection = connection or self._connection
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                now = time.monotonic()
                if waiting_since is None:
                    waiting_since = now
                elif now - waiting_since >= self.wait:
                    raise NonceStoreError(
                        f"'{self.db}' stayed locked by other connections for the whole wait of {self.wait:g} s: "
                        f"stream '{self.stream}' got no turn and nothing was written; give it a longer wait, "
                        f"or look for a process stopped inside a transaction") from error
                time.sleep(random.uniform(50e-6, 500e-6))

    def _read(self, body):
        with self._mutex:
            self._check_open()
            return self._map_errors(lambda: self._retrying(lambda: body(self._connection)))

    def _transaction(self, body, durable=True):
        """One BEGIN IMMEDIATE transaction; synced to disk (synchronous=FULL) when durable,
        like the Swift store's writes (rate counters are not durable there either)."""
        def attempt():
            connection = self._connection
            connection.execute("BEGIN IMMEDIATE")
            try:
                result = body(connection)
                connection.execute("COMMIT")
                return result
            except BaseException:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                raise

        with self._mutex:
            self._check_open()
            if not durable:
                self._connection.execute("PRAGMA synchronous = NORMAL")
            try:
                return self._map_errors(lambda: self._retrying(attempt))
            finally:
                if not durable:
                    self._connection.execute("PRAGMA synchronous = FULL")

    def _map_errors(self, run):
        try:
            return run()
        except sqlite3.Error as error:
            message = str(error)
            if ": the stream is exclusive" in message:
                raise self._exclusive_error() from error
            if ": no stream of that name" in message:
                raise NonceStoreError(f"no stream '{self.stream}' in '{self.db}': create it with "
                                      f"'nonce stream create {self.stream} --shared --db {self.db}'") from error
            raise NonceStoreError(f"stream '{self.stream}' in '{self.db}': {message}") from error

    def _check_open(self):
        if self._closed:
            raise NonceStoreError(f"the manager of stream '{self.stream}' in '{self.db}' is closed")
        if self._connection is None:
            self._connection = self._connect()

    def _exclusive_error(self):
        return NonceStoreError(
            f"stream '{self.stream}' in '{self.db}' is exclusive: only the process holding it issues its nonces; "
            f"switch it with 'nonce stream set-mode {self.stream} shared --db {self.db}' while no process holds it")

    def _stream_row(self):
        """(mode, stream id, holder pid) from stream_state, or None."""
        if self.schema_version >= 4:
            sql = "SELECT mode, stream_id, holder_pid FROM stream_state WHERE stream = ?"
        else:  # before migration 4 the view had no stream_id
            sql = "SELECT s.mode, s.id, s.holder_pid FROM streams AS s WHERE s.name = ?"
        return self._read(lambda c: c.execute(sql, (self.stream,)).fetchone())

    # -- the stream's claim ---------------------------------------------------------------

    def _claim(self):
        """Holds the stream's claim byte shared, as every Swift process on a shared stream
        does, then checks the mode again under it (a switch may have won the race)."""
        key, fd = _borrow_descriptor(self.lock_path)
        deadline = None if self._claim_wait is None else time.monotonic() + self._claim_wait
        pause = 200e-6
        try:
            while not _try_ofd_lock(fd, fcntl.F_RDLCK, _CLAIM_BASE + self.stream_id, self.lock_path):
                left = None if deadline is None else deadline - time.monotonic()
                if left is None or left <= 0:
                    holder = self._stream_row()
                    who = f"process {holder[2]}" if holder and holder[2] else "another process"
                    waited = f" after waiting {self._claim_wait} s" if self._claim_wait else ""
                    raise NonceStoreError(f"stream '{self.stream}' in '{self.db}' is held exclusively by {who}{waited} "
                                          f"(its holder, or a mode switch in progress); stop that process, use "
                                          f"another stream, or wait for it")
                time.sleep(min(pause, left))
                pause = min(pause * 2, 2e-3)
            row = self._stream_row()
            if row is None or row[0] != "shared":
                raise self._exclusive_error() if row else NonceStoreError(f"no stream '{self.stream}' in '{self.db}'")
        except BaseException:
            _ofd_unlock(fd, _CLAIM_BASE + self.stream_id)
            _give_back(key, fd)
            raise
        self._claim_fd = (key, fd)

    def _require_shared(self):
        """Every use needs the claim: taken at opening, or now if the stream became shared since."""
        if self._claim_fd is not None:
            return
        row = self._stream_row()
        if row is not None and row[0] != "shared":
            raise self._exclusive_error()
        with self._claim_guard:
            if self._claim_fd is None:
                self._claim()

    # -- issuing --------------------------------------------------------------------------

    def get_nonce(self, apply_rate_limiting=True, label=None, cost=COST_STANDARD):
        """The next nonce (nanoseconds, 19 digits), above every nonce the stream issued.

        With a tier configured and apply_rate_limiting, waits first until `cost` (1; 2 for
        ledger and trade-history queries) fits under the shared counter. Inside an API-lock
        body that already paid for its call, the first nonce is not charged again.
        """
        self._require_shared()
        if apply_rate_limiting and self.rate_limit is not None:
            lock = self._api_lock
            charge = lock.charges[-1] if lock.held_by_current_thread() and lock.charges else None
            if charge is not None and charge.unused:
                charge.unused = False
            else:
                self._acquire_rate(cost)
        return self._issue(label)

    def _issue(self, label):
        requested_at = self._clock()
        return self._transaction(lambda c: (
            c.execute("INSERT INTO nonce_requests (stream, requested_at, pid, label) VALUES (?, ?, ?, ?)",
                      (self.stream, requested_at, os.getpid(), label)),
            c.execute("SELECT last_issued FROM stream_state WHERE stream = ?", (self.stream,)).fetchone()[0],
        )[1])

    def jump_forward(self, nanoseconds, reason="jump_forward"):
        """Moves the stream's floor to max(floor, now) + `nanoseconds` (the guide's unit: ns),
        durably, recorded as a `jump` event. Returns the new floor: every later nonce is above it."""
        if isinstance(nanoseconds, bool) or int(nanoseconds) != nanoseconds or nanoseconds <= 0:
            raise ValueError(f"jump_forward takes a positive whole number of nanoseconds, not {nanoseconds!r}")
        self._require_shared()
        if self.schema_version < 4:
            raise NonceStoreError(f"'{self.db}' has schema version {self.schema_version}, before the nonce_jumps "
                                  f"contract (4): open it once with a current 'nonce' command to upgrade it")
        requested_at = self._clock()
        return self._transaction(lambda c: (
            c.execute("INSERT INTO nonce_jumps (stream, by_ns, requested_at, reason) VALUES (?, ?, ?, ?)",
                      (self.stream, int(nanoseconds), requested_at, reason)),
            c.execute("SELECT high_water_mark FROM stream_state WHERE stream = ?", (self.stream,)).fetchone()[0],
        )[1])

    def get_stats(self):
        """The stream's figures from stream_state, as a dict."""
        def read(connection):
            cursor = connection.execute("SELECT * FROM stream_state WHERE stream = ?", (self.stream,))
            return [column[0] for column in cursor.description], cursor.fetchone()
        names, row = self._read(read)
        if row is None:
            raise NonceStoreError(f"no stream '{self.stream}' in '{self.db}'")
        stats = dict(zip(names, row))
        stats["lead_over_clock_ns"] = stats["last_issued"] - time.time_ns() if stats["last_issued"] else 0
        return stats

    def api_lock(self, timeout=None, cost=COST_STANDARD, apply_rate_limiting=True):
        """The stream's API lock: `with manager.api_lock(): nonce = manager.get_nonce(); send(...)`.
        See _APILockContext."""
        self._validate_cost(cost)
        return _APILockContext(self, timeout, cost, apply_rate_limiting)

    # -- rate limiting --------------------------------------------------------------------

    def _validate_cost(self, cost):
        if not (cost > 0 and math.isfinite(cost)):
            raise ValueError(f"a call's cost must be positive, not {cost}")
        if self.rate_limit is not None and cost > self.rate_limit.maximum:
            raise ValueError(f"a call costing {cost} can never fit under a counter maximum of {self.rate_limit.maximum}")

    def wait_for_rate_limit(self, cost=COST_STANDARD):
        """Waits until `cost` fits under the tier's counter and takes it (nothing without a tier)."""
        if self.rate_limit is not None:
            self._acquire_rate(cost)

    def _acquire_rate(self, cost):
        """Waits (sleeping, holding no lock) until `cost` fits, takes it, and returns the clock
        reading it was taken at."""
        self._validate_cost(cost)
        while True:
            now = self._clock()
            wait = self._take_rate(float(cost), now)
            if wait == 0:
                return now
            self._sleep(wait / 1e9)

    def _take_rate(self, cost, now):
        """NonceStore.takeRateCounter: 0 when `cost` was added, else the ns until it fits
        (nothing written then)."""
        limit = self.rate_limit

        def body(connection):
            saved = connection.execute("SELECT level, updated_at FROM rate_counters WHERE stream_id = ?",
                                       (self.stream_id,)).fetchone()
            level = _decayed(saved[0], saved[1], now, limit.decay_per_second) if saved else 0.0
            wait = _wait_ns(level, cost, limit.maximum, limit.decay_per_second)
            if wait:
                return wait
            self._save_rate(connection, level + cost, max(now, saved[1]) if saved else now)
            return 0

        return self._transaction(body, durable=False)

    def _hold_charge(self, charge):
        """At the end of an API-lock body that took a counted call: the exchange counts the
        call when it arrives, which can be as late as now, so the counter must not have
        decayed below it. Adds back what decayed since the take, at most the call's cost."""
        limit = self.rate_limit

        def body(connection):
            now = self._clock()
            saved = connection.execute("SELECT level, updated_at FROM rate_counters WHERE stream_id = ?",
                                       (self.stream_id,)).fetchone()
            level = _decayed(saved[0], saved[1], now, limit.decay_per_second) if saved else 0.0
            held = min(charge.cost, limit.decay_per_second * max(0, now - charge.taken_at) / 1e9)
            self._save_rate(connection, level + held, max(now, saved[1]) if saved else now)

        try:
            self._transaction(body, durable=False)
        except NonceStoreError as error:
            # Not raised: the call it is about has gone out, and an error here could make
            # the caller think it failed (and send it again). The next take meets the same
            # database problem and raises.
            _logger.warning("could not hold the rate counter's charge at the end of an API-lock body: %s", error)

    def _save_rate(self, connection, level, updated_at):
        connection.execute(
            "INSERT INTO rate_counters (stream_id, level, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (stream_id) DO UPDATE SET level = excluded.level, updated_at = excluded.updated_at",
            (self.stream_id, level, updated_at))

    # -- closing --------------------------------------------------------------------------

    def close(self):
        """Closes the connection and releases the stream's claim. Using it afterwards raises."""
        with self._mutex:
            if self._closed:
                return
            self._closed = True
            if self._connection is not None:
                self._connection.close()
        with self._claim_guard:
            if self._claim_fd is not None:
                key, fd = self._claim_fd
                _ofd_unlock(fd, _CLAIM_BASE + self.stream_id)  # drops the claim
                _give_back(key, fd)
                self._claim_fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __del__(self):
        try:
            if self._pid == os.getpid():
                self.close()
        except Exception:
            pass


_global_manager = None
_global_guard = threading.Lock()


def configure_global_nonce_manager(**options):
    """Sets up the process-wide manager with NonceStoreManager's options (db, stream, wait,
    tier, ...). Call it once, before the first use."""
    global _global_manager
    with _global_guard:
        if _global_manager is not None:
            raise NonceStoreError(f"the global nonce manager is already set up (stream '{_global_manager.stream}' "
                                  f"in '{_global_manager.db}')")
        _global_manager = NonceStoreManager(**options)
        return _global_manager


def reset_global_nonce_manager():
    """Closes the process-wide manager; the next use opens a new one."""
    global _global_manager
    with _global_guard:
        manager, _global_manager = _global_manager, None
    if manager is not None:
        manager.close()


def get_global_nonce_manager():
    """The process-wide manager ($NONCE_DB, $NONCE_STREAM, $NONCE_TIER), created on first use."""
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


def get_kraken_api_lock(timeout=None):
    """The API lock of the global manager's stream, shared with every process on it."""
    return get_global_nonce_manager().api_lock(timeout=timeout)


if __name__ == "__main__":
    # `python3 noncestore.py N` prints N nonces, one a line (used by the tests).
    import sys
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    manager = get_global_nonce_manager()
    print("\n".join(str(manager.get_nonce()) for _ in range(count)), flush=True)
