"""What an exchange stand-in (Bitfinex, Gemini) saw: every authenticated call, in the order
it was judged, with its nonce and the error it got, if any."""

from __future__ import annotations

import dataclasses
import threading
from typing import List, Optional


@dataclasses.dataclass(frozen=True)
class CallRecord:
    key: str
    path: str
    nonce: Optional[int]
    """None when the call carried no nonce that could be read."""
    error: Optional[str]
    """The exchange's error word for a refused call (its code or reason); None: accepted."""

    @property
    def accepted(self) -> bool:
        return self.error is None


class CallLog:
    """Records calls; safe to use from the server's handler threads and the test's."""

    def __init__(self) -> None:
        self._records: List[CallRecord] = []
        self._guard = threading.Lock()

    def add(self, record: CallRecord) -> CallRecord:
        with self._guard:
            self._records.append(record)
        return record

    @property
    def calls(self) -> List[CallRecord]:
        with self._guard:
            return list(self._records)

    def accepted(self, key: str) -> int:
        return sum(1 for call in self.calls if call.key == key and call.accepted)

    def refused(self, key: str, error: str) -> int:
        return sum(1 for call in self.calls if call.key == key and call.error == error)

    def accepted_nonces(self, key: str) -> List[int]:
        return [call.nonce for call in self.calls if call.key == key and call.accepted and call.nonce is not None]
