"""NonceStore for Python: strictly increasing, durable nonces for exchange API clients,
drawn from a NonceStore database (SQLite file or PostgreSQL) that Swift processes, the
`nonce` CLI and other Python processes share.

    from noncestore import NonceStore

    store = NonceStore("nonces.sqlite", stream="kraken")
    with store.api_lock():
        nonce = store.next()
        ...  # send the private call

The migration guide's calls (`get_kraken_nonce()`, `get_global_nonce_manager().get_nonce()`,
`jump_forward`, `get_global_nonce_stats()`, `get_kraken_api_lock()`) are here too, and
`noncestore.ccxt` and `noncestore.kraken_sdk` make those clients use a stream.

Every refusal is a NonceStoreError whose `code`, one of ERROR_CODES, says what happened.
`noncestore.testing` is a pytest plugin (fixtures `nonce_db`, `nonce_store`).
"""

from ._errors import ERROR_CODES, NonceStoreError, NonceStoreTimeout
from ._rate import COST_HISTORY, COST_STANDARD, TIERS, RateLimit, call_cost
from .aio import AsyncAPILock, AsyncNonceStore
from .manager import __all__ as _guide_calls
from .manager import (
    NonceStoreManager,
    configure_global_nonce_manager,
    get_global_kraken_nonce,
    get_global_nonce_manager,
    get_global_nonce_stats,
    get_kraken_api_lock,
    get_kraken_nonce,
    reset_global_nonce_manager,
)
from .store import APILock, NonceStore, StreamStats

__version__ = "0.1.0"

__all__ = [
    "NonceStore",
    "AsyncNonceStore",
    "APILock",
    "AsyncAPILock",
    "StreamStats",
    "NonceStoreError",
    "NonceStoreTimeout",
    "ERROR_CODES",
    "RateLimit",
    "TIERS",
    "COST_STANDARD",
    "COST_HISTORY",
    "call_cost",
    *_guide_calls,
]
