"""ccxt's Kraken with NonceStore's nonces: every private request takes its nonce from a
stream and is sent under the stream's API lock, so several processes (and threads, and
exchange objects) on one key never send a nonce below one Kraken has accepted.

    from noncestore import NonceStore
    from noncestore.ccxt import Kraken          # or AsyncKraken, for ccxt.async_support
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

from ._pending import pending_nonce, take_pending
from ._rate import call_cost
from .aio import AsyncNonceStore
from .store import NonceStore

__all__ = ["Kraken", "AsyncKraken"]


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


class AsyncKraken(_ccxt_async.kraken):  # type: ignore[misc]
    """`ccxt.async_support.kraken` with NonceStore's nonces; waiting never blocks the loop."""

    def __init__(self, config: Optional[Dict[str, Any]] = None, *, store: Union[NonceStore, AsyncNonceStore]) -> None:
        self.noncestore = store.asyncio() if isinstance(store, NonceStore) else store
        super().__init__(config or {})

    def nonce(self) -> int:
        # Awaited in fetch2 before ccxt's synchronous sign() asks; a retry inside one
        # request (ccxt's maxRetriesOnFailure) takes a fresh nonce here, briefly blocking.
        pending = take_pending()
        return pending if pending is not None else self.noncestore.store.next()

    async def fetch2(self, path: str, api: Any = "public", method: str = "GET",
                     params: Optional[Dict[str, Any]] = None, config: Optional[Dict[str, Any]] = None) -> Any:
        params = {} if params is None else params
        config = {} if config is None else config
        if not _is_private(api):
            return await super().fetch2(path, api, method, params, config)
        async with self.noncestore.api_lock(cost=call_cost(path)):
            with pending_nonce(await self.noncestore.next()):
                return await super().fetch2(path, api, method, params, config)
