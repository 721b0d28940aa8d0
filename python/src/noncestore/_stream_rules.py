"""A stream's nonce rules (SQLite schema 9, PostgreSQL schema 3): the unit one step of its
nonce is worth, its ceiling, and the exchange preset it was created from; what a store asks
of the stream it opens, and the refusal when an existing stream has other rules.

The rules are fixed when the stream is created: every process on a key must send nonces of
one unit, or the first larger one locks the others out for good."""

from __future__ import annotations

import dataclasses
from typing import Dict, Optional

from ._errors import NonceStoreError
from ._exchange_presets import counting_preset

UNITS: Dict[str, int] = {"s": 1_000_000_000, "ms": 1_000_000, "us": 1_000, "10ns": 10, "ns": 1}
"""Each unit's size in nanoseconds, as the schema's `nonce_units` table holds them."""
DEFAULT_UNIT = "ns"
"""The unit of every stream created without rules, and of every stream before schema 9."""
LARGEST_NONCE = (1 << 63) - 1
"""The ceiling of a stream without `max_nonce` (the largest signed 64-bit integer)."""


@dataclasses.dataclass(frozen=True)
class StreamRules:
    """A stream's rules as the database holds them."""

    unit: str
    max_nonce: Optional[int]
    exchange: Optional[str]

    @property
    def ceiling(self) -> int:
        """The largest nonce the stream may issue."""
        return self.max_nonce if self.max_nonce is not None else LARGEST_NONCE

    def describe(self) -> str:
        return f"in {self.unit} {_ceiling_words(self.max_nonce)}"


@dataclasses.dataclass(frozen=True)
class RequestedRules:
    """What a store was asked for; None is "not asked": an existing stream's value will do."""

    unit: Optional[str] = None
    max_nonce: Optional[int] = None
    exchange: Optional[str] = None

    @classmethod
    def from_arguments(cls, unit: Optional[str], max_nonce: Optional[int],
                       exchange: Optional[str]) -> "RequestedRules":
        """Validates the arguments; `exchange` fills in its preset's unit and ceiling where
        the call gives none. A preset's missing ceiling counts as asked for: a stream made
        with no ceiling and one made with another are different streams."""
        if unit is not None and unit not in UNITS:
            raise NonceStoreError("invalid_argument", f"unknown nonce unit {unit!r}: use one of "
                                                      f"{', '.join(UNITS)}")
        if max_nonce is not None:
            if isinstance(max_nonce, bool) or not isinstance(max_nonce, int) or not 0 < max_nonce <= LARGEST_NONCE:
                raise NonceStoreError("invalid_argument", f"max_nonce must be a whole number from 1 to "
                                                          f"{LARGEST_NONCE} (2^63-1), not {max_nonce!r}")
        if exchange is None:
            return cls(unit, max_nonce, None)
        preset = counting_preset(exchange)
        return cls(unit if unit is not None else preset.unit,
                   max_nonce if max_nonce is not None else (preset.max_nonce or LARGEST_NONCE), preset.id)

    def for_new_stream(self) -> StreamRules:
        """The rules a stream created for this request gets (2^63-1 is stored as no ceiling)."""
        ceiling = None if self.max_nonce == LARGEST_NONCE else self.max_nonce
        return StreamRules(self.unit or DEFAULT_UNIT, ceiling, self.exchange)

    def refusal(self, existing: StreamRules, stream: str, description: str) -> Optional[NonceStoreError]:
        """The error when `existing`, an open stream's rules, are not what was asked; else None."""
        asked = []
        if self.unit is not None and self.unit != existing.unit:
            asked.append(f"in {self.unit}")
        if self.max_nonce is not None and self.max_nonce != existing.ceiling:
            asked.append(_ceiling_words(self.max_nonce))
        if not asked:
            return None
        return NonceStoreError(
            "invalid_argument", f"stream '{stream}' in '{description}' issues {existing.describe()}, not "
            f"{' '.join(asked)}: a stream's rules are set when it is created, since every process on a key must "
            f"send nonces of one unit. Open it without unit, max_nonce and exchange to use it as it is, or use a "
            f"new stream (and a new API key) for other rules")


def _ceiling_words(max_nonce: Optional[int]) -> str:
    if max_nonce is None or max_nonce == LARGEST_NONCE:
        return "with no ceiling below 2^63-1"
    return f"with ceiling {max_nonce}"
