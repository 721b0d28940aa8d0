"""Durations as the `nonce` CLI reads them (Duration+Parsing.swift): a number and a unit,
or several summed, such as 500ms, 1.5s, 1h30m, 250us, 2d."""

from __future__ import annotations

import math
import re
from typing import Optional

FORMS = "a number and a unit (ns, us or µs, ms, s, m, h, d), or several: 500ms, 1.5s, 1h30m, 250us, 2d"

_UNIT_NS = {"ns": 1, "us": 1_000, "µs": 1_000, "ms": 1_000_000, "s": 1_000_000_000, "m": 60_000_000_000,
            "h": 3_600_000_000_000, "d": 86_400_000_000_000}
_PART = re.compile(r"(\d*)(?:\.(\d+))?([^\d.]*)")
_LARGEST = (1 << 63) - 1


def parse_nanoseconds(text: str) -> Optional[int]:
    """The duration in nanoseconds (negative with a leading '-'), or None when `text` is not
    one or passes 2^63-1 ns. A fraction is rounded to the nanosecond, as the CLI rounds it."""
    rest = text.strip()
    negative = rest.startswith("-")
    rest = rest[1:] if negative else rest
    if not rest:
        return None
    total = 0
    while rest:
        match = _PART.match(rest)
        assert match is not None  # every group may be empty
        whole, fraction, unit = match.groups()
        if match.end() == 0 or (not whole and fraction is None) or unit not in _UNIT_NS:
            return None
        total += int(whole or 0) * _UNIT_NS[unit] + (_half_up(float("0." + fraction) * _UNIT_NS[unit]) if fraction else 0)
        if total > _LARGEST:
            return None
        rest = rest[match.end():]
    return -total if negative else total


def _half_up(value: float) -> int:
    # Swift's rounded(): halves away from zero, where Python's round() goes to even.
    return math.floor(value + 0.5)
