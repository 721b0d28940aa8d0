"""Whether a stream can feed an exchange: checked once, when a ccxt exchange object is made
for it, since a nonce the exchange cannot take would be refused after the stream issued it
(and a nonce too large for one exchange can lock its key out for good)."""

from __future__ import annotations

import time

from ._errors import NonceStoreError
from ._exchange_presets import ExchangePreset
from ._stream_rules import UNITS, StreamRules
from .store import NonceStore


def refuse_unfit_stream(preset: ExchangePreset, store: NonceStore) -> None:
    """Raises NonceStoreError unless `store`'s stream can feed `preset`'s exchange:
    `invalid_argument` for a stream of another exchange, or one whose ceiling or unit lets it
    issue past the exchange's largest nonce; `exhausted` for a stream at its own ceiling."""
    stats = store.stats()
    rules = StreamRules(stats.unit, stats.max_nonce, stats.exchange)
    where = f"stream '{store.stream}' in '{store.description}'"
    remedy = (f"use a stream created with exchange='{preset.id}' (in {preset.unit}"
              f"{'' if preset.max_nonce is None else f' with ceiling {preset.max_nonce}'})")
    if rules.exchange is not None and rules.exchange != preset.id:
        raise NonceStoreError("invalid_argument", f"{where} was created for '{rules.exchange}', not '{preset.id}': "
                                                  f"a stream is one API key of one exchange; {remedy}")
    now_in_unit = time.time_ns() // UNITS[rules.unit]
    if preset.max_nonce is not None:
        if rules.ceiling > preset.max_nonce:
            raise NonceStoreError("invalid_argument", f"{preset.name} takes nonces up to {preset.max_nonce}, but "
                                                      f"{where} issues {rules.describe()} and could send larger ones; "
                                                      f"{remedy}")
        if now_in_unit >= preset.max_nonce:
            raise NonceStoreError("invalid_argument", f"{preset.name} takes nonces up to {preset.max_nonce}, but "
                                                      f"{where} issues in {rules.unit}, where the clock alone is "
                                                      f"{now_in_unit}: every nonce it issues would be refused; "
                                                      f"{remedy}")
    # The SQL contract's own test: the next nonce is max(now, last + 1), at most the ceiling.
    if max(stats.last_issued, stats.high_water_mark, now_in_unit - 1) >= rules.ceiling:
        raise NonceStoreError("exhausted", f"{where} has reached its ceiling {rules.ceiling}: no larger nonce may be "
                                           f"issued; a new API key and a new stream are the way on")
