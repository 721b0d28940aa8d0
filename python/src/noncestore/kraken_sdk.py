"""python-kraken-sdk's Spot clients with NonceStore's nonces: every authenticated request
takes its nonce from a stream and is sent under the stream's API lock.

    from noncestore import NonceStore
    from noncestore.kraken_sdk import User      # Trade, Funding, Earn, SpotClient, SpotAsyncClient, SpotWSClient
    user = User(key=KEY, secret=SECRET, store=NonceStore("nonces.sqlite", stream="kraken"))

The SDK's own nonce is `time.time()` in units of 10 ns (18 digits); NonceStore's is
nanoseconds (19 digits), so once Kraken has accepted one of ours on a key, the SDK's own
nonces are refused there for good: the key stays with NonceStore. Futures clients are not
covered (another API, other keys).
"""

from __future__ import annotations

from typing import Any, Optional, Union

from kraken import spot as _spot
from kraken.base_api import SpotAsyncClient as _SpotAsyncClient
from kraken.base_api import SpotClient as _SpotClient

from ._pending import pending_nonce, take_pending
from ._rate import call_cost
from .aio import AsyncNonceStore
from .store import NonceStore

__all__ = ["SpotClient", "SpotAsyncClient", "SpotWSClient", "User", "Trade", "Funding", "Earn"]


class _StreamNonces:
    """The synchronous clients' part: a nonce from the stream, requests under its lock."""

    noncestore: NonceStore

    def __init__(self, *args: Any, store: NonceStore, **kwargs: Any) -> None:
        self.noncestore = store
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]

    def get_nonce(self) -> str:
        return str(self.noncestore.next())

    def request(self, method: str, uri: str, params: Optional[dict] = None, timeout: int = 10, *,
                auth: bool = True, **options: Any) -> Any:
        if not auth:
            return super().request(method, uri, params, timeout, auth=auth, **options)  # type: ignore[misc]
        with self.noncestore.api_lock(cost=call_cost(uri)):
            return super().request(method, uri, params, timeout, auth=auth, **options)  # type: ignore[misc]


class SpotClient(_StreamNonces, _SpotClient):
    """`kraken.spot.SpotClient` on a NonceStore stream (`store=`)."""


class User(_StreamNonces, _spot.User):
    """`kraken.spot.User` on a NonceStore stream (`store=`)."""


class Trade(_StreamNonces, _spot.Trade):
    """`kraken.spot.Trade` on a NonceStore stream (`store=`)."""


class Funding(_StreamNonces, _spot.Funding):
    """`kraken.spot.Funding` on a NonceStore stream (`store=`)."""


class Earn(_StreamNonces, _spot.Earn):
    """`kraken.spot.Earn` on a NonceStore stream (`store=`)."""


class _AwaitedStreamNonces:
    """The asyncio clients' part: the nonce awaited before the SDK's synchronous signing
    asks for it, and requests under the stream's lock, without blocking the loop."""

    noncestore: AsyncNonceStore

    def __init__(self, *args: Any, store: Union[NonceStore, AsyncNonceStore], **kwargs: Any) -> None:
        self.noncestore = store.asyncio() if isinstance(store, NonceStore) else store
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]

    def get_nonce(self) -> str:
        pending = take_pending()  # awaited in request()
        return str(pending if pending is not None else self.noncestore.store.next())

    async def request(self, method: str, uri: str, params: Optional[dict] = None,
                      timeout: int = 10, *, auth: bool = True, **options: Any) -> Any:
        if not auth:
            return await super().request(method, uri, params, timeout, auth=auth, **options)  # type: ignore[misc]
        async with self.noncestore.api_lock(cost=call_cost(uri)):
            with pending_nonce(await self.noncestore.next()):
                return await super().request(method, uri, params, timeout, auth=auth, **options)  # type: ignore[misc]


class SpotAsyncClient(_AwaitedStreamNonces, _SpotAsyncClient):  # type: ignore[misc]
    """`kraken.spot.SpotAsyncClient` on a NonceStore stream (`store=`); waiting never blocks the loop."""


class SpotWSClient(_AwaitedStreamNonces, _spot.SpotWSClient):  # type: ignore[misc]
    """`kraken.spot.SpotWSClient` whose websocket token request (a private REST call) takes its
    nonce from the stream (`store=`)."""
