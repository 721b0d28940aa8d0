"""How a ccxt exchange object takes its nonces from a stream: every signed request is made
under the stream's API lock, and the one nonce its `sign()` asks for (through `nonce()`, most
often by way of ccxt's `incrementing_nonce()`) is the stream's next. So several processes,
threads and exchange objects on one key send their nonces in the order they were issued.

Mixed in before a ccxt class (`class X(StreamNonces, ccxt.bitfinex)`); the asyncio variant
awaits the nonce before ccxt's synchronous `sign()` asks for it."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Union

from ._pending import pending_nonce, take_pending
from ._rate import COST_STANDARD
from .aio import AsyncNonceStore
from .store import NonceStore

__all__ = ["StreamNonces", "AwaitedStreamNonces", "is_signed"]


def is_signed(api: Union[str, List[str], Any]) -> bool:
    """Whether a request of ccxt's `api` (a name, or a list such as ['v4', 'private']) is
    signed: ccxt names every API that carries a nonce 'private'."""
    names = [api] if isinstance(api, str) else list(api) if isinstance(api, (list, tuple)) else []
    return "private" in names


class StreamNonces:
    """The synchronous part: a nonce from the stream, signed requests under its lock."""

    noncestore: NonceStore

    def __init__(self, config: Optional[Dict[str, Any]] = None, *, store: NonceStore) -> None:
        self.noncestore = store
        super().__init__(config or {})  # type: ignore[call-arg]

    def request_cost(self, path: str) -> float:
        """What a signed request adds to the store's rate counter (when it has a tier)."""
        return COST_STANDARD

    def nonce(self) -> int:  # sign() asks for it, inside fetch2 below
        return self.noncestore.next()

    def fetch2(self, path: str, api: Any = "public", method: str = "GET", params: Optional[Dict[str, Any]] = None,
               config: Optional[Dict[str, Any]] = None) -> Any:
        params = {} if params is None else params
        config = {} if config is None else config
        if not is_signed(api):
            return super().fetch2(path, api, method, params, config)  # type: ignore[misc]
        with self.noncestore.api_lock(cost=self.request_cost(path)):
            return super().fetch2(path, api, method, params, config)  # type: ignore[misc]


class AwaitedStreamNonces:
    """ccxt's asyncio exchanges: the nonce is awaited in fetch2, before ccxt's synchronous
    sign() asks for it, and signed requests wait for the lock without blocking the loop."""

    noncestore: AsyncNonceStore

    def __init__(self, config: Optional[Dict[str, Any]] = None, *, store: Union[NonceStore, AsyncNonceStore]) -> None:
        self.noncestore = store.asyncio() if isinstance(store, NonceStore) else store
        super().__init__(config or {})  # type: ignore[call-arg]

    def request_cost(self, path: str) -> float:
        """What a signed request adds to the store's rate counter (when it has a tier)."""
        return COST_STANDARD

    def nonce(self) -> int:
        # A retry inside one request (ccxt's maxRetriesOnFailure, off by default), or a nonce
        # signed outside fetch2 (a websocket login of ccxt.pro), finds no awaited nonce and
        # takes one here, blocking the loop for that transaction.
        pending = take_pending()
        return pending if pending is not None else self.noncestore.store.next()

    async def fetch2(self, path: str, api: Any = "public", method: str = "GET",
                     params: Optional[Dict[str, Any]] = None, config: Optional[Dict[str, Any]] = None) -> Any:
        params = {} if params is None else params
        config = {} if config is None else config
        if not is_signed(api):
            return await super().fetch2(path, api, method, params, config)  # type: ignore[misc]
        async with self.noncestore.api_lock(cost=self.request_cost(path)):
            with pending_nonce(await self.noncestore.next()):
                return await super().fetch2(path, api, method, params, config)  # type: ignore[misc]
