"""ccxt with NonceStore's nonces: every private request takes its nonce from a stream and is
sent under the stream's API lock, so several processes (and threads, and exchange objects)
on one key never send a nonce below one the exchange has accepted.

    from noncestore import NonceStore
    from noncestore.ccxt import exchange
    store = NonceStore("nonces.sqlite", stream="bitfinex-main", exchange="bitfinex")
    bitfinex = exchange("bitfinex", {"apiKey": KEY, "secret": SECRET}, store=store)

`exchange()` covers every exchange of `exchange-presets.json` whose nonce strictly increases
per key (family `increasing`), sync, asyncio (`asyncio=True`) or ccxt.pro (`pro=True`). A
stream created with the exchange's preset issues what ccxt sends itself (milliseconds), so
going back to ccxt's own nonces stays possible once the clock passes the stream's lead.

Kraken also has classes of its own, as before: `Kraken`, `AsyncKraken` (ccxt.async_support)
and `ProKraken` (ccxt.pro), on any stream, a nanosecond one too. Once Kraken has accepted
one nanosecond nonce (19 digits) on a key, ccxt's millisecond nonces are below it for good:
the key then needs NonceStore (or another nanosecond source) for ever, or a new API key.
"""

from __future__ import annotations

import functools
from typing import Any, Dict, Optional, Type, Union

import ccxt as _ccxt
import ccxt.async_support as _ccxt_async
import ccxt.pro as _ccxt_pro

from ._ccxt_nonces import AwaitedStreamNonces, StreamNonces
from ._errors import NonceStoreError
from ._exchange_fit import refuse_unfit_stream
from ._exchange_presets import counting_preset
from ._rate import call_cost
from .aio import AsyncNonceStore
from .store import NonceStore

__all__ = ["exchange", "Kraken", "AsyncKraken", "ProKraken"]


class Kraken(StreamNonces, _ccxt.kraken):  # type: ignore[misc]
    """`ccxt.kraken` whose private requests take nonces from `store` under its API lock."""

    def request_cost(self, path: str) -> float:
        return call_cost(path)  # Kraken counts ledger and trade-history queries twice


class AsyncKraken(AwaitedStreamNonces, _ccxt_async.kraken):  # type: ignore[misc]
    """`ccxt.async_support.kraken` with NonceStore's nonces; waiting never blocks the loop."""

    def request_cost(self, path: str) -> float:
        return call_cost(path)


class ProKraken(AwaitedStreamNonces, _ccxt_pro.kraken):  # type: ignore[misc]
    """`ccxt.pro.kraken` with NonceStore's nonces: its REST calls and the websocket token
    request that authenticates its private streams."""

    def request_cost(self, path: str) -> float:
        return call_cost(path)


_KRAKEN = {"sync": Kraken, "asyncio": AsyncKraken, "pro": ProKraken}
_CCXT_MODULES = {"sync": _ccxt, "asyncio": _ccxt_async, "pro": _ccxt_pro}
_MODULE_NAMES = {"sync": "ccxt", "asyncio": "ccxt.async_support", "pro": "ccxt.pro"}

# Options that make a client send the nonce at all. bitbank: ccxt signs with a time window by
# default (which the exchange prefers when both come), so the stream's nonce would go unused.
_NONCE_OPTIONS: Dict[str, Dict[str, Any]] = {"bitbank": {"authMethod": "nonce"}}


def exchange(exchange_id: str, config: Optional[Dict[str, Any]] = None, *,
             store: Union[NonceStore, AsyncNonceStore], asyncio: bool = False, pro: bool = False) -> Any:
    """An instance of ccxt's class for `exchange_id` (`ccxt.<id>`; `ccxt.async_support.<id>`
    with `asyncio`; `ccxt.pro.<id>` with `pro`) whose private requests take their nonces from
    `store`'s stream, one each, under the stream's API lock. `config` is ccxt's.

    Refused (NonceStoreError `invalid_argument`): an id that is not a preset, an exchange
    whose nonce is a timestamp window or random (a counter does not help there), one this
    ccxt lacks, and a stream the exchange cannot take (another exchange's; one that could
    issue above the exchange's largest nonce, by its ceiling or unit). A stream at its
    ceiling: `exhausted`.
    """
    preset = counting_preset(exchange_id)
    flavour = "pro" if pro else "asyncio" if asyncio else "sync"
    cls: Any = _KRAKEN[flavour] if exchange_id == "kraken" else _with_stream_nonces(
        _ccxt_class(exchange_id, flavour), flavour)
    synchronous = store.store if isinstance(store, AsyncNonceStore) else store
    refuse_unfit_stream(preset, synchronous)
    return cls(_with_nonce_options(exchange_id, config), store=synchronous if flavour == "sync" else store)


def _ccxt_class(exchange_id: str, flavour: str) -> type:
    found = getattr(_CCXT_MODULES[flavour], exchange_id, None)
    if not isinstance(found, type):
        raise NonceStoreError("invalid_argument", f"{_MODULE_NAMES[flavour]} {_ccxt.__version__} has no exchange "
                                                  f"'{exchange_id}'")
    return found


@functools.lru_cache(maxsize=None)
def _with_stream_nonces(base: type, flavour: str) -> Type[Any]:
    """`base` with the stream's nonces mixed in; one class per ccxt class, made once."""
    mixin = StreamNonces if flavour == "sync" else AwaitedStreamNonces
    return type(base.__name__, (mixin, base), {
        "__module__": __name__, "__qualname__": base.__name__,
        "__doc__": f"`{_MODULE_NAMES[flavour]}.{base.__name__}` whose private requests take nonces from a "
                   f"NonceStore stream under its API lock."})


def _with_nonce_options(exchange_id: str, config: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """`config`, with the options that make the client send a nonce where the caller set none."""
    config = dict(config or {})
    defaults = _NONCE_OPTIONS.get(exchange_id)
    if defaults:
        config["options"] = {**defaults, **(config.get("options") or {})}
    return config
