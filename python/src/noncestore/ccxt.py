"""ccxt's Kraken with NonceStore's nonces: every private request takes its nonce from a
stream and is sent under the stream's API lock, so several processes (and threads, and
exchange objects) on one key never send a nonce below one Kraken has accepted.

    from noncestore import NonceStore
    from noncestore.ccxt import Kraken          # AsyncKraken: ccxt.async_support; ProKraken: ccxt.pro
    exchange = Kraken({"apiKey": KEY, "secret": SECRET}, store=NonceStore("nonces.sqlite", stream="kraken"))

ccxt's own nonce is milliseconds (13 digits); NonceStore's is nanoseconds (19 digits). Once
Kraken has accepted one nanosecond nonce on a key, millisecond nonces are below it for
good: the key then needs NonceStore (or another nanosecond source) for ever. Going back
means a new API key.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Union

import ccxt as _ccxt
import ccxt.async_support as _ccxt_async
import ccxt.pro as _ccxt_pro

from ._pending import pending_nonce, take_pending
from ._rate import call_cost
from .aio import AsyncNonceStore
from .store import NonceStore

__all__ = ["Kraken", "AsyncKraken", "ProKraken"]


def _is_private(api: Union[str, List[str], Any]) -> bool:
    name = api[0] if isinstance(api, (list, tuple)) and api else api
    return name == "private"


class Kraken(_ccxt.kraken):  # type: ignore[misc]
    """`ccxt.kraken` whose private requests take nonces from `store` under its API lock."""

    def __init__(self, config: Optional[Dict[str, Any]] = None, *, store: NonceStore) -> None:
        self.noncestore = store
        super().__init__(config or {})

    def nonce(self) -> int:  # ccxt's sign() asks for it, inside fetch2 below
        return self.noncestore.next()

    def fetch2(self, path: str, api: Any = "public", method: str = "GET", params: Optional[Dict[str, Any]] = None,
               config: Optional[Dict[str, Any]] = None) -> Any:
        params = {} if params is None else params
        config = {} if config is None else config
        if not _is_private(api):
            return super().fetch2(path, api, method, params, config)
        with self.noncestore.api_lock(cost=call_cost(path)):
            return super().fetch2(path, api, method, params, config)


class _AwaitedStreamNonces:
    """ccxt's asyncio exchanges: the nonce is awaited in fetch2, before ccxt's synchronous
    sign() asks for it, and private requests wait for the lock without blocking the loop."""

    noncestore: AsyncNonceStore

    def __init__(self, config: Optional[Dict[str, Any]] = None, *, store: Union[NonceStore, AsyncNonceStore]) -> None:
        self.noncestore = store.asyncio() if isinstance(store, NonceStore) else store
        super().__init__(config or {})  # type: ignore[call-arg]

    def nonce(self) -> int:
        # A retry inside one request (ccxt's maxRetriesOnFailure, off by default) finds no
        # awaited nonce and takes one here, blocking the loop for that transaction.
        pending = take_pending()
        return pending if pending is not None else self.noncestore.store.next()

    async def fetch2(self, path: str, api: Any = "public", method: str = "GET",
                     params: Optional[Dict[str, Any]] = None, config: Optional[Dict[str, Any]] = None) -> Any:
        params = {} if params is None else params
        config = {} if config is None else config
        if not _is_private(api):
            return await super().fetch2(path, api, method, params, config)  # type: ignore[misc]
        async with self.noncestore.api_lock(cost=call_cost(path)):
            with pending_nonce(await self.noncestore.next()):
                return await super().fetch2(path, api, method, params, config)  # type: ignore[misc]


class AsyncKraken(_AwaitedStreamNonces, _ccxt_async.kraken):  # type: ignore[misc]
    """`ccxt.async_support.kraken` with NonceStore's nonces; waiting never blocks the loop."""


class ProKraken(_AwaitedStreamNonces, _ccxt_pro.kraken):  # type: ignore[misc]
    """`ccxt.pro.kraken` with NonceStore's nonces: its REST calls and the websocket token
    request that authenticates its private streams."""
