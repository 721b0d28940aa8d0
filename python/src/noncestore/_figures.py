"""A stream's figures as `nonce stats` reports them, from one `stream_state` row: the
persisted counters, whether a live process holds it, its lead over the clock and whether
its ceiling is near, with the Swift library's arithmetic (NonceStats.swift,
CeilingWatch.swift), so that both sides report the same numbers."""

from __future__ import annotations

import dataclasses
from typing import Any, Mapping, Optional

from ._stream_rules import DEFAULT_UNIT, LARGEST_NONCE, UNITS

_INT64_MIN = -(1 << 63)
CEILING_HORIZON_NS = 365 * 86_400 * 1_000_000_000
"""How far ahead a near ceiling is seen: a year at the clock's pace."""


@dataclasses.dataclass(frozen=True)
class StreamFigures:
    """One stream, read from the database alone (no process's own counts). Nonces are in
    the stream's unit; `lead_ns` may be negative (the floor behind the clock)."""

    stream: str
    mode: str
    unit: str
    max_nonce: Optional[int]
    """None: no ceiling below 2^63-1."""
    exchange: Optional[str]
    last_issued: int
    high_water_mark: int
    issued_total: int
    unclean_stops: int
    floor_repairs: int
    mark_renewals: int
    clock_regressions: int
    jumps: int
    rejections_in_a_row: int
    rejections_total: int
    held: bool
    """A live process holds the stream's claim (in either mode)."""
    lead_ns: int
    """How far the floor, max(last issued, high-water mark), is ahead of the clock, in ns."""
    ceiling_near: bool
    """Within a year of the ceiling at the clock's pace, or within 1% of it."""

    @property
    def unit_ns(self) -> int:
        return UNITS[self.unit]

    @property
    def ceiling(self) -> int:
        return LARGEST_NONCE if self.max_nonce is None else self.max_nonce


def figures(row: Mapping[str, Any], held: bool, now_ns: int) -> StreamFigures:
    """The figures of a `stream_state` row at wall-clock time `now_ns`. Columns a schema
    older than stream rules lacks read as their defaults (nanoseconds, no ceiling, 0)."""
    unit = row.get("unit") or DEFAULT_UNIT
    max_nonce = None if row.get("max_nonce") is None else int(row["max_nonce"])
    # The Swift side reads these as UInt64(clamping:): a negative value written by hand is 0.
    last, mark = max(0, int(row["last_issued"] or 0)), max(0, int(row["high_water_mark"] or 0))
    floor = max(last, mark)
    return StreamFigures(
        stream=row["stream"], mode=row["mode"], unit=unit, max_nonce=max_nonce, exchange=row.get("exchange"),
        last_issued=last, high_water_mark=mark, issued_total=int(row["issued_total"]),
        unclean_stops=int(row.get("unclean_stops") or 0), floor_repairs=int(row.get("floor_repairs") or 0),
        mark_renewals=int(row["mark_renewals"]), clock_regressions=int(row["clock_regressions"]),
        jumps=int(row["jumps"]), rejections_in_a_row=int(row["rejections_in_a_row"]),
        rejections_total=int(row["rejections_total"]), held=held,
        lead_ns=lead_ns(floor, unit, now_ns),
        ceiling_near=ceiling_near(floor, unit, LARGEST_NONCE if max_nonce is None else max_nonce, now_ns))


def lead_ns(floor: int, unit: str, now_ns: int) -> int:
    """The floor's lead over the clock in ns: 0 for a stream that never issued; the clock
    taken in whole steps of the unit, as issuing takes it; clamped to 64 bits as Swift's."""
    if floor == 0:
        return 0
    size = UNITS[unit]
    return max(_INT64_MIN, min(LARGEST_NONCE, (floor - now_ns // size) * size))


def ceiling_near(floor: int, unit: str, ceiling: int, now_ns: int) -> bool:
    """The next nonce is at least the clock in the unit: what is left above that is near
    when it is 1% of the ceiling or less, or less than a year of steps."""
    left = ceiling - max(0, floor, now_ns // UNITS[unit])
    return left <= ceiling // 100 or left * UNITS[unit] < CEILING_HORIZON_NS
