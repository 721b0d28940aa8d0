"""The exchange presets: `migrations/exchange-presets.json`, the one list the Swift library,
the `nonce` command and this package share (shipped beside the schema files). Each says
whether a stream helps with an exchange (family `increasing`), and if so the unit the common
client sends and the largest nonce the exchange takes."""

from __future__ import annotations

import dataclasses
import functools
import json
from importlib import resources
from typing import Dict, Optional

from ._errors import NonceStoreError

FAMILY_INCREASING = "increasing"
"""A strictly increasing nonce per API key: the family a stream is for."""

# Why a counter does not help the other families, in the words an error gives the user.
_NO_STREAM_BECAUSE = {
    "window": "its nonce is a timestamp that must lie within a window around the exchange's clock, and a counter "
              "that runs ahead of the clock (as a stream does under a burst of calls) is refused there; what helps "
              "is a host clock kept close to the exchange's, not a stream",
    "random": "its nonce is random or an expiry time, so there is nothing to count and a stream does not help",
}


@dataclasses.dataclass(frozen=True)
class ExchangePreset:
    """One exchange of the list (see the file's `about` for what each field means)."""

    id: str
    name: str
    family: str
    unit: Optional[str]
    max_nonce: Optional[int]
    """None: the exchange states no limit below 2^63-1."""
    rule: str
    source: str


@functools.lru_cache(maxsize=1)
def exchange_presets() -> Dict[str, ExchangePreset]:
    """Every preset, by id, in the file's order."""
    text = (resources.files("noncestore") / "migrations" / "exchange-presets.json").read_text(encoding="utf-8")
    entries = json.loads(text)["exchanges"]
    fields = {field.name for field in dataclasses.fields(ExchangePreset)}
    return {entry["id"]: ExchangePreset(**{name: entry.get(name) for name in fields}) for entry in entries}


def counting_preset(exchange_id: str) -> ExchangePreset:
    """The preset of an exchange a stream helps with; refuses (invalid_argument) an unknown
    id and an exchange whose nonce is a timestamp window or random, saying why."""
    presets = exchange_presets()
    preset = presets.get(exchange_id) if isinstance(exchange_id, str) else None
    if preset is None:
        by_family: Dict[str, list] = {}
        for known in presets.values():
            by_family.setdefault(known.family, []).append(known.id)
        listed = "; ".join(f"{family}: {', '.join(ids)}" for family, ids in by_family.items())
        raise NonceStoreError("invalid_argument", f"no exchange preset {exchange_id!r}; the known ones, by family "
                                                  f"({FAMILY_INCREASING} is the one a stream is for): {listed}")
    if preset.family != FAMILY_INCREASING:
        because = _NO_STREAM_BECAUSE.get(preset.family, f"its family is '{preset.family}', not {FAMILY_INCREASING}")
        raise NonceStoreError("invalid_argument", f"{preset.name} ('{preset.id}') takes {preset.rule}: {because}")
    return preset
