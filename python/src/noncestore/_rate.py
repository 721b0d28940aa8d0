"""Kraken's per-key call counter: the presets and the arithmetic, the same as the Swift
side's `RateCounterMath`, so that every process on a key shares one counter."""

from __future__ import annotations

import math
from typing import NamedTuple, Optional, Tuple, Union

__all__ = ["RateLimit", "TIERS", "COST_STANDARD", "COST_HISTORY", "call_cost", "rate_limit", "decayed", "wait_ns"]


class RateLimit(NamedTuple):
    """A per-key call counter: at most `maximum`, decaying `decay_per_second`."""

    maximum: float
    decay_per_second: float


TIERS = {
    "starter": RateLimit(15.0, 0.33),
    "intermediate": RateLimit(20.0, 0.5),
    "pro": RateLimit(20.0, 1.0),
}
COST_STANDARD = 1.0
"""Most private calls."""
COST_HISTORY = 2.0
"""Ledger and trade-history queries."""

_HISTORY_METHODS = frozenset({"Ledgers", "QueryLedgers", "TradesHistory", "QueryTrades"})

TierSpec = Union[None, str, RateLimit, Tuple[float, float]]


def call_cost(method: str) -> float:
    """What a private REST method adds to the counter (the path's last part, e.g. `Balance`)."""
    return COST_HISTORY if method.rsplit("/", 1)[-1] in _HISTORY_METHODS else COST_STANDARD


def rate_limit(tier: TierSpec) -> Optional[RateLimit]:
    """A tier by name (starter, intermediate, pro), a (maximum, decay per second) pair, or None."""
    if not tier:
        return None
    if isinstance(tier, str):
        try:
            return TIERS[tier.lower()]
        except KeyError:
            raise ValueError(f"unknown tier '{tier}': use starter, intermediate or pro") from None
    maximum, decay = (float(value) for value in tier)
    if not (maximum > 0 and math.isfinite(maximum) and decay > 0 and math.isfinite(decay)):
        raise ValueError(f"a rate limit needs a positive maximum and decay, not {tier!r}")
    return RateLimit(maximum, decay)


def decayed(level: float, since: int, now: int, per_second: float) -> float:
    """`level` at `since`, decayed until `now` (ns); a clock that stepped back decays nothing."""
    return max(0.0, level - max(0, now - since) / 1e9 * per_second)


def wait_ns(level: float, cost: float, maximum: float, per_second: float) -> int:
    """Nanoseconds until `cost` fits under `maximum` (rounded up), or 0 when it fits now."""
    excess = level + cost - maximum
    # A hair of tolerance: decimal rates (0.33/s) leave binary remainders.
    if not excess > 1e-9:
        return 0
    return int(math.ceil(excess / per_second * 1e9))


Counter = Tuple[float, int]
"""A saved counter: its level, and the clock reading (ns) it had that level at."""


def take(saved: Optional[Counter], limit: RateLimit, cost: float, now: int) -> Tuple[int, Optional[Counter]]:
    """(0, the counter to save) when `cost` fits at `now`, else (ns until it fits, None)."""
    level = decayed(saved[0], saved[1], now, limit.decay_per_second) if saved else 0.0
    wait = wait_ns(level, cost, limit.maximum, limit.decay_per_second)
    if wait:
        return wait, None
    return 0, (level + cost, max(now, saved[1]) if saved else now)


def hold(saved: Optional[Counter], limit: RateLimit, cost: float, taken_at: int, now: int) -> Optional[Counter]:
    """The counter to save when an API-lock body that took `cost` at `taken_at` ends: what
    decayed since the take comes back (at most the cost), since the exchange counted the call
    only when it arrived. None when nothing decayed."""
    level = decayed(saved[0], saved[1], now, limit.decay_per_second) if saved else 0.0
    held = min(cost, limit.decay_per_second * max(0, now - taken_at) / 1e9)
    if held <= 0:
        return None
    return level + held, max(now, saved[1]) if saved else now
