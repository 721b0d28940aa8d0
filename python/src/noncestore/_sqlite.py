"""A shared stream of a NonceStore SQLite database, through its SQL contract.

Nonces: one durable `BEGIN IMMEDIATE` transaction each through `nonce_requests`; jumps
through `nonce_jumps`. While open on a shared stream the process holds the stream's claim
byte shared, as Swift processes do, so the stream cannot be switched to exclusive under it.
"""

from __future__ import annotations

import fcntl
import os
import random
import sqlite3
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Tuple, TypeVar
from urllib.parse import quote

from . import _filelocks
from ._errors import NonceStoreError
from ._filelocks import API_LOCK_BASE, CLAIM_BASE, FileByteLock
from ._create import create_database
from ._backend import Backend, StreamRow
from ._rate import Counter
from ._stream_rules import DEFAULT_UNIT, RequestedRules, StreamRules

SCHEMA_VERSION = 10
"""The newest schema this package knows (Migrations/0010_history_seconds.sql)."""
RULES_SCHEMA_VERSION = 9
"""The first schema whose streams have rules (a unit, a ceiling, an exchange); before it every
stream issues nanoseconds up to 2^63-1."""

T = TypeVar("T")



def check_database_file(path: str) -> None:
    """Refuses, before SQLite sees it, what the Swift side refuses: an empty file (SQLite
    would start it afresh and delete a write-ahead log beside it that may hold the newest
    marks) and a file with several hard links (SQLite keeps a log beside each name)."""
    info = os.stat(path)
    if info.st_size == 0:
        beside = [path + suffix for suffix in ("-wal", "-shm") if os.path.exists(path + suffix)]
        if beside:
            raise NonceStoreError("empty_file", f"'{path}' is empty but {', '.join(beside)} beside it show it was a "
                                                f"database in use: it was truncated or replaced. Nothing was touched; "
                                                f"see 'Starting over' in NonceStore's README")
        raise NonceStoreError("empty_file", f"'{path}' is an empty file, not a NonceStore database; it was left "
                                            f"untouched")
    if info.st_nlink > 1:
        raise NonceStoreError("hard_linked", f"'{path}' has {info.st_nlink} hard links: SQLite keeps its write-ahead "
                                             f"log beside each name, so a database used through two names is "
                                             f"corrupted. Remove the other links")


APPLICATION_ID = 0x4E4F4E43
"""`PRAGMA application_id` of every NonceStore database since schema 8: 'NONC'."""


def refuse_log_without_database(path: str) -> None:
    """A `-wal` or `-shm` with no database beside it: the database was moved or deleted while
    a process had it open, and that log may hold its newest nonces. Creating a database
    there would start below them."""
    if os.path.lexists(path):
        return
    beside = [path + suffix for suffix in ("-wal", "-shm") if os.path.exists(path + suffix)]
    if beside:
        raise NonceStoreError("database_moved", f"'{path}' is missing but {', '.join(beside)} beside it remain: the "
                                                f"database was moved or deleted while a process had it open, and that "
                                                f"log may hold its newest nonces. Nothing was created or deleted. Put "
                                                f"the database back at this path, or open it where it is now once "
                                                f"every process that used it here has stopped")


def recognise(real_path: str, path: str) -> None:
    """Decides from the file's header, before SQLite may open it for writing, that it is
    NonceStore's (its application id, or, written before the id existed, a schema version
    NonceStore used). Read through a pooled descriptor: closing any descriptor of the file
    would drop this process's locks on it, SQLite's included."""
    key, fd = _filelocks.borrow(real_path)
    try:
        header = os.pread(fd, 100, 0)
    finally:
        _filelocks.give_back(key, fd)
    if len(header) < 100 or header[:16] != b"SQLite format 3\0":
        raise NonceStoreError("not_a_database", f"'{path}' is not a NonceStore database (not an SQLite file); it was "
                                                f"left untouched")
    application = int.from_bytes(header[68:72], "big")
    version = int.from_bytes(header[60:64], "big")
    if application != APPLICATION_ID and (application != 0 or version == 0):
        raise NonceStoreError("foreign_database", f"'{path}' is an SQLite database of another application; it was "
                                                  f"left untouched")


# The SQL contract's other refusals (RAISE(ABORT, ...) in the schema's triggers), told
# apart by their words, and the code each has on the Swift side (which checks a label's
# length and a jump's span before the database does).
_CONTRACT_REFUSALS = (
    ("2^63-1", "exhausted"),
    (": label is longer than", "invalid_argument"),
    (": by_ns must be", "invalid_argument"),
)


def _identity(info: os.stat_result) -> Tuple[int, int]:
    return (info.st_dev, info.st_ino)


def _is_busy(error: sqlite3.Error) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF == 5  # SQLITE_BUSY and its extended codes
    return "database is locked" in str(error)


class SQLiteBackend(Backend):
    """See the module's comment. `wait`: seconds one write may go without a turn at the
    database's write lock before failing; `claim_wait`: seconds to wait for the claim while
    a mode switch holds it (None: do not wait, as the Swift side)."""

    def __init__(self, path: str, stream: str, wait: float, claim_wait: Optional[float], create: bool,
                 rules: RequestedRules) -> None:
        self.path = path
        self.description = path
        self.stream = stream
        self.requested_rules = rules
        self.wait = wait
        self._claim_wait = claim_wait
        self._connection: Optional[sqlite3.Connection] = None
        self._claim: Optional[Tuple[_filelocks.FileKey, int]] = None
        self._claim_guard = threading.Lock()
        self._create = create
        refuse_log_without_database(path)
        if not os.path.exists(path):
            if not create:
                raise NonceStoreError("cannot_open", f"no database at '{path}': create it and the stream with "
                                                     f"'nonce stream create {stream} --shared --db {path}'")
            create_database(path, SCHEMA_VERSION)
        check_database_file(path)
        self.real_path = os.path.realpath(path)
        recognise(self.real_path, path)
        self._identity = _identity(os.stat(path))
        try:
            self._open()
        except BaseException:
            self.close()
            raise

    def _open(self) -> None:
        self.schema_version = int(self._read(lambda c: c.execute("PRAGMA user_version").fetchone()[0], "cannot_open"))
        if self.schema_version > SCHEMA_VERSION:
            raise NonceStoreError("newer_schema", f"'{self.path}' has schema version {self.schema_version}, newer "
                                                  f"than this package supports ({SCHEMA_VERSION}); upgrade the "
                                                  f"noncestore package. The file was left untouched")
        if self.schema_version < 4:
            raise NonceStoreError("cannot_open", f"'{self.path}' has schema version {self.schema_version}, older than "
                                                 f"the SQL contract this package speaks (4): open it once with a "
                                                 f"current 'nonce' command (e.g. 'nonce stream list --db "
                                                 f"{self.path}') to upgrade it")
        self._find_stream(self._create, ("sqlite", self.real_path))

    # -- connection -------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        try:
            # mode=rw: never create a file; timeout 0: no busy handler, see _retrying.
            connection = sqlite3.connect(f"file:{quote(os.path.abspath(self.path))}?mode=rw", uri=True, timeout=0,
                                         isolation_level=None, check_same_thread=False)
        except sqlite3.Error as error:
            raise NonceStoreError("cannot_open", f"cannot open database '{self.path}': {error}") from error
        # The contract: every commit synced to disk before the nonce is used.
        self._retrying(lambda: connection.execute("PRAGMA synchronous = FULL"), connection)
        return connection

    def _retrying(self, attempt: Callable[[], T], connection: Optional[sqlite3.Connection] = None) -> T:
        """Runs `attempt` until it gets a turn: on SQLITE_BUSY, again every 50-500 us (flat
        and jittered, so a long waiter has the same chance as a fresh one at each release)
        until `wait` seconds passed with no turn at all."""
        waiting_since = None
        while True:
            try:
                return attempt()
            except sqlite3.OperationalError as error:
                if not _is_busy(error):
                    raise
                connection = connection or self._connection
                if connection is not None and connection.in_transaction:
                    connection.execute("ROLLBACK")
                now = time.monotonic()
                if waiting_since is None:
                    waiting_since = now
                elif now - waiting_since >= self.wait:
                    raise NonceStoreError(
                        "busy", f"'{self.path}' stayed locked by other connections for the whole wait of "
                        f"{self.wait:g} s: stream '{self.stream}' got no turn and nothing was written; give it a "
                        f"longer wait, or look for a process stopped inside a transaction") from error
                time.sleep(random.uniform(50e-6, 500e-6))

    def _use(self) -> sqlite3.Connection:
        if self._connection is None:
            self._connection = self._connect()
        return self._connection

    def _read(self, body: Callable[[sqlite3.Connection], T], code: str = "read_failed") -> T:
        return self._map_errors(lambda: self._retrying(lambda: body(self._use())), code)

    def _transaction(self, body: Callable[[sqlite3.Connection], T], failure: str, durable: bool = True) -> T:
        """One BEGIN IMMEDIATE transaction, synced to disk when durable, like the Swift
        store's writes (rate counters are not durable there either). `failure`: the code of
        an SQLite failure that no more specific code describes."""

        def attempt(connection: sqlite3.Connection) -> T:
            connection.execute("BEGIN IMMEDIATE")
            try:
                self._require_in_place()
                result = body(connection)
                connection.execute("COMMIT")
                return result
            except BaseException:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                raise

        def run() -> T:
            connection = self._use()
            if durable:
                return self._retrying(lambda: attempt(connection))
            connection.execute("PRAGMA synchronous = NORMAL")
            try:
                return self._retrying(lambda: attempt(connection))
            finally:
                connection.execute("PRAGMA synchronous = FULL")

        return self._map_errors(run, failure)

    def _require_in_place(self) -> None:
        """Before every write: the path must still lead to the file this process opened. A
        process writing to a moved file would issue where no process at the path looks."""
        try:
            here = _identity(os.stat(self.path))
        except OSError:
            here = None
        if here != self._identity:
            raise NonceStoreError("database_moved", f"'{self.path}' no longer leads to the database this process has "
                                                    f"open: it was moved, replaced or deleted while in use. This "
                                                    f"process issues nothing more from it; stop it, put the database "
                                                    f"back, and start again")

    def _map_errors(self, run: Callable[[], T], failure: str) -> T:
        """Runs `run`, turning an SQLite failure into a NonceStoreError: the SQL contract's
        refusals into their codes (the schema's triggers raise them by these words), any
        other failure into `failure`."""
        try:
            return run()
        except sqlite3.Error as error:
            message = str(error)
            if ": the stream is exclusive" in message:
                raise self._exclusive_error() from error
            if ": no stream of that name" in message:
                raise self._missing_stream() from error
            for words, code in _CONTRACT_REFUSALS:
                if words in message:
                    raise NonceStoreError(code, f"stream '{self.stream}' in '{self.path}': {message}") from error
            if "readonly" in message or "read-only" in message:
                # As the Swift side, which refuses a file it cannot write when opening it.
                raise NonceStoreError("cannot_open", f"stream '{self.stream}' in '{self.path}': the database is "
                                                     f"read-only here ({message}); nothing was issued") from error
            raise NonceStoreError(failure, f"stream '{self.stream}' in '{self.path}': {message}") from error

    def _missing_stream(self) -> NonceStoreError:
        return NonceStoreError("stream_not_found", f"no stream '{self.stream}' in '{self.path}': create it with "
                                                   f"'nonce stream create {self.stream} --shared --db {self.path}'")

    def _exclusive_error(self) -> NonceStoreError:
        return NonceStoreError(
            "mode_mismatch", f"stream '{self.stream}' in '{self.path}' is exclusive: only the process holding it "
            f"issues its nonces; switch it with 'nonce stream set-mode {self.stream} shared --db {self.path}' while no "
            f"process holds it")

    def _stream_row(self) -> Optional[StreamRow]:
        return self._read(lambda c: c.execute(
            "SELECT mode, stream_id, holder_pid FROM stream_state WHERE stream = ?", (self.stream,)).fetchone())

    def _create_stream(self, rules: StreamRules) -> None:
        """Refused when the history holds nonces of a stream whose row is gone: a new stream
        must start above them, which the CLI's legacy import does (adopting them). A
        database older than stream rules can only hold a stream without them."""
        def body(c: sqlite3.Connection) -> None:
            if c.execute("SELECT 1 FROM streams WHERE name = ?", (self.stream,)).fetchone():
                return
            has_rules = c.execute("PRAGMA user_version").fetchone()[0] >= RULES_SCHEMA_VERSION
            if not has_rules and rules != StreamRules(DEFAULT_UNIT, None, None):
                raise self._rules_need_upgrade(rules)
            orphaned = c.execute("SELECT max(nonce) FROM history WHERE stream_id NOT IN (SELECT id FROM streams)"
                                 ).fetchone()[0]
            if orphaned is not None:
                raise NonceStoreError(
                    "orphaned_history", f"no stream '{self.stream}' in '{self.path}', but it holds the history of a "
                    f"deleted stream (up to nonce {orphaned}); a new stream would start from the clock, possibly "
                    f"below nonces already sent. Create it above them with 'nonce import-legacy --value {orphaned} "
                    f"--stream {self.stream} --db {self.path}' (it adopts that history), then 'nonce stream set-mode "
                    f"{self.stream} shared'")
            now = time.time_ns()
            if has_rules:
                c.execute("INSERT INTO streams (name, mode, created_at, updated_at, unit, max_nonce, exchange) "
                          "VALUES (?, 'shared', ?, ?, ?, ?, ?)",
                          (self.stream, now, now, rules.unit, rules.max_nonce, rules.exchange))
            else:
                c.execute("INSERT INTO streams (name, mode, created_at, updated_at) VALUES (?, 'shared', ?, ?)",
                          (self.stream, now, now))

        self._transaction(body, "write_failed")

    def _rules_need_upgrade(self, rules: StreamRules) -> NonceStoreError:
        return NonceStoreError(
            "invalid_argument", f"'{self.path}' has schema version {self.schema_version}, older than stream rules "
            f"({RULES_SCHEMA_VERSION}): it cannot hold stream '{self.stream}' {rules.describe()}. Open it once with "
            f"a current 'nonce' command (e.g. 'nonce stream list --db {self.path}') to upgrade it")

    def stream_rules(self) -> StreamRules:
        def read(c: sqlite3.Connection) -> Optional[Tuple[str, Optional[int], Optional[str]]]:
            # The version read each time: another process may upgrade the file while this one has
            # it open (never downgrade it, so a version read first stays true for the select).
            if c.execute("PRAGMA user_version").fetchone()[0] < RULES_SCHEMA_VERSION:
                return (DEFAULT_UNIT, None, None)
            return c.execute("SELECT unit, max_nonce, exchange FROM streams WHERE name = ?",
                             (self.stream,)).fetchone()

        row = self._read(read)
        if row is None:
            raise self._missing_stream()
        return StreamRules(str(row[0]), None if row[1] is None else int(row[1]), row[2])

    # -- the stream's claim -------------------------------------------------------------

    def _take_claim(self) -> None:
        """The claim byte, held shared."""
        key, fd = _filelocks.borrow(self.real_path)
        offset = CLAIM_BASE + self.stream_id
        deadline = None if self._claim_wait is None else time.monotonic() + self._claim_wait
        pause = 200e-6
        try:
            while not _filelocks.try_lock(fd, fcntl.F_RDLCK, offset, self.path):
                left = None if deadline is None else deadline - time.monotonic()
                if left is None or left <= 0:
                    holder = self._stream_row()
                    who = f"process {holder[2]}" if holder and holder[2] else "another process"
                    waited = f" after waiting {self._claim_wait} s" if self._claim_wait else ""
                    raise NonceStoreError("stream_held", f"stream '{self.stream}' in '{self.path}' is held "
                                                         f"exclusively by {who}{waited} (its holder, or a mode switch "
                                                         f"in progress); stop that process, use another stream, or "
                                                         f"wait for it")
                time.sleep(min(pause, left))
                pause = min(pause * 2, 2e-3)
            self._check_shared(self._stream_row())
        except BaseException:
            _filelocks.unlock(fd, offset)
            _filelocks.give_back(key, fd)
            raise
        self._claim = (key, fd)

    def _holds_claim(self) -> bool:
        return self._claim is not None

    # -- the contract ---------------------------------------------------------------------

    def issue(self, label: Optional[str], pid: int) -> int:
        requested_at = time.time_ns()

        def body(c: sqlite3.Connection) -> int:
            c.execute("INSERT INTO nonce_requests (stream, requested_at, pid, label) VALUES (?, ?, ?, ?)",
                      (self.stream, requested_at, pid, label))
            return int(c.execute("SELECT last_issued FROM stream_state WHERE stream = ?", (self.stream,)).fetchone()[0])

        return self._transaction(body, "issue_failed")

    def jump(self, by_ns: int, reason: str) -> int:
        requested_at = time.time_ns()

        def body(c: sqlite3.Connection) -> int:
            c.execute("INSERT INTO nonce_jumps (stream, by_ns, requested_at, reason) VALUES (?, ?, ?, ?)",
                      (self.stream, by_ns, requested_at, reason))
            return int(c.execute("SELECT high_water_mark FROM stream_state WHERE stream = ?",
                                 (self.stream,)).fetchone()[0])

        return self._transaction(body, "mark_not_durable")

    def stream_state(self) -> Dict[str, Any]:
        def read(c: sqlite3.Connection) -> Tuple[List[str], Any]:
            cursor = c.execute("SELECT * FROM stream_state WHERE stream = ?", (self.stream,))
            return [column[0] for column in cursor.description], cursor.fetchone()

        names, row = self._read(read)
        if row is None:
            raise self._missing_stream()
        return dict(zip(names, row))

    def update_counter(self, change: Callable[[Optional[Counter]], Tuple[T, Optional[Counter]]]) -> T:
        def body(c: sqlite3.Connection) -> T:
            saved = c.execute("SELECT level, updated_at FROM rate_counters WHERE stream_id = ?",
                              (self.stream_id,)).fetchone()
            result, counter = change(saved)
            if counter is not None:
                c.execute("INSERT INTO rate_counters (stream_id, level, updated_at) VALUES (?, ?, ?) ON CONFLICT "
                          "(stream_id) DO UPDATE SET level = excluded.level, updated_at = excluded.updated_at",
                          (self.stream_id, *counter))
            return result

        return self._transaction(body, "rate_counter_failed", durable=False)

    # -- the API lock, closing, forks ---------------------------------------------------

    def cross_process_lock(self) -> FileByteLock:
        return FileByteLock(self.real_path, API_LOCK_BASE + self.stream_id)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        with self._claim_guard:
            if self._claim is not None:
                key, fd = self._claim
                _filelocks.unlock(fd, CLAIM_BASE + self.stream_id)
                _filelocks.give_back(key, fd)
                self._claim = None

    def after_fork_in_child(self) -> None:
        """The parent's connection and claim are not the child's: it opens and claims anew.
        Both are closed here, while the child holds no POSIX lock that closing could drop
        (a fork passes none on). Kept open, the inherited connection would make SQLite
        believe this process already holds the database's shared lock, and the child's own
        connection would then read and write without it. The store's mutex was held across
        the fork, so no transaction of this connection was half done."""
        if self._connection is not None:
            try:
                self._connection.close()
            except sqlite3.Error:
                pass
        self._connection = None
        if self._claim is not None:
            # Its open file description is the parent's too: the parent keeps its claim.
            try:
                os.close(self._claim[1])
            except OSError:
                pass
        self._claim = None
        self._claim_guard = threading.Lock()
