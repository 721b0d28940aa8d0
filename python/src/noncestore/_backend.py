"""What a store needs from a database: the SQL contract of one shared stream, on SQLite
or PostgreSQL. Each backend is used under its store's own lock, one call at a time."""

from __future__ import annotations

import threading
from typing import Any, Callable, Dict, Hashable, Optional, Tuple, TypeVar

from ._apilock import CrossProcessLock
from ._errors import NonceStoreError
from ._rate import Counter
from ._stream_rules import RequestedRules, StreamRules

T = TypeVar("T")

StreamRow = Tuple[str, int, Optional[int]]
"""(mode, stream id, holder pid) from `stream_state`."""


class Backend:
    """The part both backends share; the rest each one's module fills in."""

    description: str
    """The database as messages name it (a path, or a URI without its password)."""
    stream: str
    stream_id: int
    lock_key: Hashable
    """Identifies the database and stream for the process-wide API lock."""
    _claim_guard: threading.Lock
    requested_rules: RequestedRules
    """The unit, ceiling and exchange the store was opened with (None where not asked)."""

    def require_shared(self) -> None:
        """Raises NonceStoreError unless the stream is shared; takes the stream's claim the
        first time (a stream switched to shared after the store opened)."""
        if self._holds_claim():
            return
        self._check_shared(self._stream_row())
        with self._claim_guard:
            if not self._holds_claim():
                self._take_claim()

    def _find_stream(self, create: bool, database: Hashable) -> None:
        """Finds the stream (creating it shared, with the rules asked for, when asked and
        missing), refuses it when its rules are not the ones asked for, and, on a shared
        stream, takes its claim. An exclusive stream is refused when used, not here: its
        holder may issue from memory, and a claim taken now would keep it from starting."""
        row = self._stream_row()
        if row is None and create:
            self._create_stream(self.requested_rules.for_new_stream())
            row = self._stream_row()
        if row is None:
            raise self._missing_stream()
        # Checked after creating too: another process may have created it first, otherwise.
        refusal = self.requested_rules.refusal(self.stream_rules(), self.stream, self.description)
        if refusal is not None:
            raise refusal
        self.stream_id = int(row[1])
        self.lock_key = (database, self.stream)
        if row[0] == "shared":
            with self._claim_guard:
                self._take_claim()

    def _check_shared(self, row: Optional[StreamRow]) -> None:
        if row is None:
            raise self._missing_stream()
        if row[0] != "shared":
            raise self._exclusive_error()

    # -- each backend's own -----------------------------------------------------------

    def _holds_claim(self) -> bool:
        raise NotImplementedError

    def _take_claim(self) -> None:
        """The claim, shared, held while the store is open; then the mode checked again
        under it (a switch to exclusive may have won the race)."""
        raise NotImplementedError

    def _stream_row(self) -> Optional[StreamRow]:
        raise NotImplementedError

    def _create_stream(self, rules: StreamRules) -> None:
        """A shared stream of this name with these rules, unless one exists."""
        raise NotImplementedError

    def stream_rules(self) -> StreamRules:
        """The stream's unit, ceiling and exchange, as the database holds them now."""
        raise NotImplementedError

    def _missing_stream(self) -> NonceStoreError:
        raise NotImplementedError

    def _exclusive_error(self) -> NonceStoreError:
        raise NotImplementedError

    def issue(self, label: Optional[str], pid: int) -> int:
        raise NotImplementedError

    def jump(self, by_ns: int, reason: str) -> int:
        raise NotImplementedError

    def stream_state(self) -> Dict[str, Any]:
        raise NotImplementedError

    def update_counter(self, change: Callable[[Optional[Counter]], Tuple[T, Optional[Counter]]]) -> T:
        """One transaction on the stream's rate counter (not synced to disk, as on the Swift
        side): `change` gets the saved counter and returns a result and the counter to save
        (None: leave it)."""
        raise NotImplementedError

    def cross_process_lock(self) -> CrossProcessLock:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def after_fork_in_child(self) -> None:
        """Let go of what belongs to the parent without touching its locks; the child
        connects and claims anew on next use."""
        raise NotImplementedError
