"""A bot process for the exchange tests: a real ccxt client (sync, or asyncio with
--asyncio) making private calls against a stand-in, with NonceStore's nonces through
`noncestore.ccxt.exchange` (--db) or ccxt's own (no --db).

    exchange_worker.py EXCHANGE URL KEY SECRET CALLS [--db LOCATION --stream NAME] [--asyncio]
        [--ready DIRECTORY --go FILE]

EXCHANGE: kraken, bitfinex or gemini. Prints `ok` or the client's error for each call,
flushed; a stream at its ceiling prints `exhausted` and ends the process (exit 0), whether
it refused a call or the making of the client. Once its imports are done it creates a file
named after its pid in DIRECTORY, then waits for FILE, so that several workers, however
long each took to start, make their calls at the same time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from pathlib import Path
from typing import Any, Callable, Optional

import ccxt
import ccxt.async_support

from noncestore import NonceStore, NonceStoreError
from noncestore.ccxt import exchange

# One private call of each exchange, by ccxt's implicit method name.
PRIVATE_CALL = {"kraken": "private_post_balance", "bitfinex": "private_post_auth_r_wallets",
                "gemini": "private_post_v1_balances"}


class Exhausted(Exception):
    """The stream reached its ceiling: nothing more may be sent."""


def outcome_of(error: Exception) -> str:
    if isinstance(error, NonceStoreError) and error.code == "exhausted":
        raise Exhausted() from error
    return f"{type(error).__name__}: {error}".replace("\n", " ")


def make_client(options: argparse.Namespace, store: Optional[NonceStore]) -> Any:
    config = {"apiKey": options.key, "secret": options.secret, "enableRateLimit": False}
    if store is not None:
        client = exchange(options.exchange, config, store=store, asyncio=options.asyncio)
    elif options.asyncio:
        client = getattr(ccxt.async_support, options.exchange)(config)
    else:
        client = getattr(ccxt, options.exchange)(config)
    client.urls["api"] = {name: options.url for name in client.urls["api"]}
    return client


def run(client: Any, calls: int) -> None:
    call: Callable[[], Any] = getattr(client, PRIVATE_CALL[client.id])
    for _ in range(calls):
        try:
            call()
            print("ok", flush=True)
        except Exception as error:  # the client's exception for the exchange's error
            print(outcome_of(error), flush=True)


async def run_async(client: Any, calls: int) -> None:
    call: Callable[[], Any] = getattr(client, PRIVATE_CALL[client.id])
    try:
        for _ in range(calls):
            try:
                await call()
                print("ok", flush=True)
            except Exception as error:
                print(outcome_of(error), flush=True)
    finally:
        await client.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    for name in ("exchange", "url", "key", "secret"):
        parser.add_argument(name)
    parser.add_argument("calls", type=int)
    parser.add_argument("--db")
    parser.add_argument("--stream")
    parser.add_argument("--asyncio", action="store_true")
    parser.add_argument("--ready")
    parser.add_argument("--go")
    options = parser.parse_args()
    store = NonceStore(options.db, stream=options.stream) if options.db else None
    if options.ready:
        (Path(options.ready) / str(os.getpid())).touch()
    while options.go and not os.path.exists(options.go):
        time.sleep(0.005)
    try:
        try:
            client = make_client(options, store)
        except Exception as error:
            print(outcome_of(error), flush=True)
            return
        if options.asyncio:
            asyncio.run(run_async(client, options.calls))
        else:
            run(client, options.calls)
    except Exhausted:
        print("exhausted", flush=True)


if __name__ == "__main__":
    main()
