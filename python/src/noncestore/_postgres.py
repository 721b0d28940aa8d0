"""A shared stream of a NonceStore schema on PostgreSQL, through psycopg 3 (the
`postgres` extra): the same contract as the Swift side's `NoncePostgres`.

Opening creates or upgrades the schema as the Swift side does (_postgres_schema.py).
Nonces come from `nonce_next(stream, label, pid)` on the server's clock, jumps from
`nonce_jump`; claims and the API lock are session advisory locks with the Swift side's
keys (_postgres_lock_keys.py), so Swift and Python processes exclude each other.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Tuple, TypeVar

from ._backend import Backend, StreamRow
from ._errors import NonceStoreError
from ._postgres_location import PostgresLocation
from ._postgres_lock_keys import LockKeys
from ._postgres_schema import prepare_schema
from ._rate import Counter
from ._stream_rules import RequestedRules, StreamRules

try:
    import psycopg
    from psycopg import errors as pg_errors
except ImportError:  # the extra is not installed; PostgresBackend says so when asked for
    psycopg = None  # type: ignore[assignment]
    pg_errors = None  # type: ignore[assignment]

_logger = logging.getLogger("noncestore")

T = TypeVar("T")
_inherited: List[Any] = []
# The schema's refusals (SQLSTATE class NS) beyond a missing stream and an exclusive one,
# with the codes the Swift side gives them. NS006, a label over 1,000 characters, is refused
# as an invalid argument on both sides. NS004 (a stream with history cannot be deleted) is
# what keeps history from being orphaned: Swift gives it orphaned_history.
_REFUSALS = {"NS003": "exhausted", "NS004": "orphaned_history", "NS005": "invalid_argument", "NS006": "invalid_argument"}


class AdvisoryLock:
    """A session advisory lock on a connection of its own: the cross-process half of a
    shared stream's API lock. A lost connection holds nothing, so asking again is safe."""

    def __init__(self, connect: Callable[[], Any], key: Tuple[int, int], description: str) -> None:
        self._connect = connect
        self._key = key
        self._description = description
        self._connection: Any = None

    def try_lock(self) -> bool:
        for attempt in (1, 2):
            try:
                if self._connection is None or self._connection.closed:
                    self._connection = self._connect()
                row = self._connection.execute("SELECT pg_try_advisory_lock(%s, %s)", self._key).fetchone()
                return bool(row[0])
            except psycopg.OperationalError as error:
                _close_quietly(self._connection)
                self._connection = None
                if attempt == 2:
                    raise NonceStoreError("connection_lost", f"the API lock's session with {self._description} was "
                                                             f"lost twice in a row: {_first_line(error)}") from error
        return False

    def unlock(self) -> None:
        if self._connection is None:
            return
        try:
            row = self._connection.execute("SELECT pg_advisory_unlock(%s, %s)", self._key).fetchone()
            if not row[0]:
                _logger.warning("the API lock's session had lost its advisory lock before the body ended (the "
                                "session was replaced): another process may have sent a call meanwhile")
        except psycopg.Error as error:
            # A lost session released the lock with it, possibly before the body ended.
            _logger.warning("the API lock's session was lost while held: %s", _first_line(error))
            _close_quietly(self._connection)
            self._connection = None

    def after_fork_in_child(self) -> None:
        # Closing the parent's connection here would end its session (and its lock).
        if self._connection is not None:
            _inherited.append(self._connection)
        self._connection = None


class PostgresBackend(Backend):
    """See the module's comment. `wait` bounds connecting (libpq's connect_timeout when the
    URI sets none); `claim_wait` is how long to wait for a claim a mode switch holds."""

    def __init__(self, uri: str, stream: str, wait: float, claim_wait: Optional[float], create: bool,
                 rules: RequestedRules) -> None:
        if psycopg is None:
            raise NonceStoreError("invalid_argument", "a PostgreSQL URI needs psycopg 3: install the package with its "
                                                      "extra, pip install 'noncestore[postgres]'")
        self.location = PostgresLocation(uri)
        self.description = self.location.description
        self.stream = stream
        self.requested_rules = rules
        self.wait = wait
        self._claim_wait = claim_wait
        self._connection: Any = None
        self._claim_connection: Any = None
        self._claim_guard = threading.Lock()
        self._create = create
        schema = self.location.schema
        self._keys = LockKeys(schema)
        try:
            self._open()
        except BaseException:
            self.close()
            raise

    # -- connections --------------------------------------------------------------------

    def connect(self) -> Any:
        options: Dict[str, Any] = {"autocommit": True}
        if "application_name=" not in self.location.conninfo:
            options["application_name"] = f"noncestore-python/{self.location.schema}"
        if "connect_timeout=" not in self.location.conninfo:
            options["connect_timeout"] = max(1, int(self.wait))
        try:
            connection = psycopg.connect(self.location.conninfo, **options)
            # Every function of the schema keeps its own search_path; this is for the views.
            connection.execute("SELECT set_config('search_path', %s, false)", (f'"{self.location.schema}"',))
            return connection
        except psycopg.Error as error:
            raise NonceStoreError("cannot_connect", f"stream '{self.stream}': cannot connect to {self.description}: "
                                                    f"{_first_line(error)}") from error

    def _use(self) -> Any:
        if self._connection is None or self._connection.closed:
            self._connection = self.connect()
        return self._connection

    def _run(self, body: Callable[[Any], T], failure: str) -> T:
        """Runs `body` on the store's connection; a lost connection fails this call and is
        replaced on the next (a nonce that may have been issued is never reused, only skipped).
        `failure`: the code of a server error that no more specific code describes."""
        connection = self._use()
        try:
            return body(connection)
        except psycopg.Error as error:
            if connection.closed or isinstance(error, psycopg.OperationalError):
                _close_quietly(connection)
                self._connection = None
            raise self._mapped(error, failure, connection) from error

    def _mapped(self, error: Exception, failure: str, connection: Any) -> NonceStoreError:
        """The server's error as the Swift side reports it: the schema's own SQLSTATEs (class
        NS, see the first migration) by their meaning, a read-only server, a lost session."""
        sqlstate = getattr(error, "sqlstate", None) or ""
        if sqlstate == "NS001":
            return self._missing_stream()
        if sqlstate == "NS002":
            return self._exclusive_error()
        code = _REFUSALS.get(sqlstate)
        if code is not None:
            return NonceStoreError(code, f"stream '{self.stream}' in {self.description}: {_first_line(error)}")
        if sqlstate == "25006":
            return NonceStoreError("read_only", f"stream '{self.stream}' in {self.description}: the server refused "
                                                f"a write as read-only (a standby, or default_transaction_read_only "
                                                f"= on); nothing was issued")
        if connection.closed or sqlstate.startswith(("57P", "08")) or (
                isinstance(error, psycopg.OperationalError) and not sqlstate):
            return NonceStoreError("connection_lost", f"stream '{self.stream}': the connection to {self.description} "
                                                      f"was lost ({_first_line(error)}); the claims and locks held on "
                                                      f"it ended with it")
        return NonceStoreError(failure, f"stream '{self.stream}' in {self.description}: {_first_line(error)}")

    def _missing_stream(self) -> NonceStoreError:
        return NonceStoreError("stream_not_found", f"no stream '{self.stream}' in {self.description}: create it with "
                                                   f"'nonce stream create {self.stream} --shared --db URI'")

    def _exclusive_error(self) -> NonceStoreError:
        return NonceStoreError(
            "mode_mismatch", f"stream '{self.stream}' in {self.description} is exclusive: only the process holding it "
            f"issues its nonces; switch it with 'nonce stream set-mode {self.stream} shared --db URI' while no process "
            f"holds it")

    # -- opening --------------------------------------------------------------------------

    def _open(self) -> None:
        """The schema brought to this package's version (created when missing and asked
        to), then the stream found (created when missing and asked to)."""
        self.schema_version = self._run(lambda c: prepare_schema(c, self.location.schema, self.description,
                                                                 self._create, self.stream), "cannot_open")
        self._find_stream(self._create, ("postgres", self.description))

    def _create_stream(self, rules: StreamRules) -> None:
        # The schema's foreign keys keep history from outliving its stream: nothing to adopt.
        # Opening brought the schema to version 3 or later, which has the rules' columns.
        now = time.time_ns()
        self._run(lambda c: c.execute("INSERT INTO streams (name, mode, created_at, updated_at, unit, max_nonce, "
                                      "exchange) VALUES (%s, 'shared', %s, %s, %s, %s, %s) "
                                      "ON CONFLICT (name) DO NOTHING",
                                      (self.stream, now, now, rules.unit, rules.max_nonce, rules.exchange)),
                  "write_failed")

    def stream_rules(self) -> StreamRules:
        row = self._run(lambda c: c.execute("SELECT unit, max_nonce, exchange FROM streams WHERE name = %s",
                                            (self.stream,)).fetchone(), "read_failed")
        if row is None:
            raise self._missing_stream()
        return StreamRules(str(row[0]), None if row[1] is None else int(row[1]), row[2])

    def _stream_row(self) -> Optional[StreamRow]:
        return self._run(lambda c: c.execute("SELECT mode, stream_id, holder_pid FROM stream_state WHERE stream = %s",
                                             (self.stream,)).fetchone(), "cannot_open")

    def _take_claim(self) -> None:
        """The claim, shared, on a session of its own."""
        connection = self.connect()
        deadline = None if self._claim_wait is None else time.monotonic() + self._claim_wait
        pause = 0.005
        try:
            while not connection.execute("SELECT pg_try_advisory_lock_shared(%s, %s)",
                                         (self._keys.claim, self.stream_id)).fetchone()[0]:
                left = None if deadline is None else deadline - time.monotonic()
                if left is None or left <= 0:
                    holder = self._run(lambda c: c.execute(
                        "SELECT holder_pid, holder_host FROM streams WHERE id = %s", (self.stream_id,)).fetchone(),
                        "cannot_open")
                    who = (f"process {holder[0]} on host '{holder[1]}'" if holder and holder[0] else "another process")
                    raise NonceStoreError("stream_held", f"stream '{self.stream}' in {self.description} is held "
                                                         f"exclusively by {who} (its holder, or a mode switch in "
                                                         f"progress); stop that process, use another stream, or wait "
                                                         f"for it")
                time.sleep(min(pause, left))
                pause = min(pause * 2, 0.2)
            self._check_shared(self._stream_row())
        except psycopg.Error as error:
            _end_claim_session(connection)
            raise self._mapped(error, "cannot_open", connection) from error
        except BaseException:
            _end_claim_session(connection)  # a claim taken before _check_shared refused the stream
            raise
        self._claim_connection = connection

    def _holds_claim(self) -> bool:
        return self._claim_connection is not None and not self._claim_connection.closed

    # -- the contract ---------------------------------------------------------------------

    def issue(self, label: Optional[str], pid: int) -> int:
        return int(self._run(lambda c: c.execute("SELECT nonce_next(%s, %s, %s)",
                                                 (self.stream, label, pid)).fetchone()[0], "issue_failed"))

    def jump(self, by_ns: int, reason: str) -> int:
        return int(self._run(lambda c: c.execute("SELECT nonce_jump(%s, %s, %s)",
                                                 (self.stream, by_ns, reason)).fetchone()[0], "mark_not_durable"))

    def stream_state(self) -> Dict[str, Any]:
        def read(c: Any) -> Tuple[List[str], Any]:
            cursor = c.execute("SELECT * FROM stream_state WHERE stream = %s", (self.stream,))
            return [column.name for column in cursor.description], cursor.fetchone()

        names, row = self._run(read, "read_failed")
        if row is None:
            raise self._missing_stream()
        return dict(zip(names, row))

    def update_counter(self, change: Callable[[Optional[Counter]], Tuple[T, Optional[Counter]]]) -> T:
        """On the stream's row, locked first: every process's updates on one key take turns."""
        def run(c: Any) -> T:
            with c.transaction():
                c.execute("SET LOCAL synchronous_commit = off")
                if c.execute("SELECT id FROM streams WHERE id = %s FOR UPDATE", (self.stream_id,)).fetchone() is None:
                    raise self._missing_stream()
                saved = c.execute("SELECT level, updated_at FROM rate_counters WHERE stream_id = %s",
                                  (self.stream_id,)).fetchone()
                result, counter = change(saved)
                if counter is not None:
                    c.execute("INSERT INTO rate_counters (stream_id, level, updated_at) VALUES (%s, %s, %s) ON "
                              "CONFLICT (stream_id) DO UPDATE SET level = excluded.level, updated_at = excluded.updated_at",
                              (self.stream_id, *counter))
                return result

        return self._run(run, "rate_counter_failed")

    # -- the API lock, closing, forks ---------------------------------------------------

    def cross_process_lock(self) -> AdvisoryLock:
        return AdvisoryLock(self.connect, (self._keys.api_lock, self.stream_id), self.description)

    def close(self) -> None:
        _end_claim_session(self._claim_connection)
        _close_quietly(self._connection)
        self._connection = None
        self._claim_connection = None

    def after_fork_in_child(self) -> None:
        # Closing the parent's connections would end its sessions, its claim among them.
        _inherited.extend(c for c in (self._connection, self._claim_connection) if c is not None)
        self._connection = None
        self._claim_connection = None
        self._claim_guard = threading.Lock()


def _end_claim_session(connection: Any) -> None:
    """Unlocks before the session closes, as the Swift store does: the server ends a closed
    session's locks only once it reads the end of the stream, so a reader or a next claim
    right after a close could still find the stream held."""
    if connection is not None and not connection.closed:
        try:
            connection.execute("SELECT pg_advisory_unlock_all()")
        except Exception:
            pass
    _close_quietly(connection)


def _close_quietly(connection: Any) -> None:
    if connection is not None:
        try:
            connection.close()
        except Exception:
            pass


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


