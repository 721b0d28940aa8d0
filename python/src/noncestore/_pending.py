"""A nonce issued (awaited) before an asyncio client's synchronous signing code asks for
it: the clients call their nonce function from plain functions inside a coroutine, where
a database call would block the event loop."""

from __future__ import annotations

import contextlib
import contextvars
from typing import Iterator, List, Optional

_pending: "contextvars.ContextVar[Optional[List[int]]]" = contextvars.ContextVar("noncestore_pending", default=None)


@contextlib.contextmanager
def pending_nonce(nonce: int) -> Iterator[None]:
    """Makes `nonce` the one the next take_pending() in this task returns."""
    token = _pending.set([nonce])
    try:
        yield
    finally:
        _pending.reset(token)


def take_pending() -> Optional[int]:
    """The awaited nonce, once; None when there is none (a retry inside the same request)."""
    pending = _pending.get()
    return pending.pop() if pending else None
