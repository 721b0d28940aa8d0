"""A bot process for the client tests: one real client (ccxt or python-kraken-sdk, sync or
asyncio) making private calls against the stand-in, with NonceStore's nonces (--db) or the
client's own (no --db).

    client_worker.py CLIENT URL KEY SECRET CALLS [--db LOCATION --stream NAME [--tier MAX DECAY]] [--go FILE]

CLIENT: ccxt, ccxt-async, sdk, sdk-async. Every 5th call is a Ledgers query (cost 2); ccxt
bots also call the unified fetch_balance (which loads the markets first, publicly).
Prints `ok` or the exchange's error for each call, flushed. Waits for FILE first, so that
several workers start together.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from typing import Any, Awaitable, Callable, Optional

from noncestore import NonceStore


def outcome(run: Callable[[], Any]) -> str:
    try:
        run()
        return "ok"
    except Exception as error:  # the client's exception for the exchange's error
        return f"{type(error).__name__}: {error}".replace("\n", " ")


async def outcome_async(run: Callable[[], Awaitable[Any]]) -> str:
    try:
        await run()
        return "ok"
    except Exception as error:
        return f"{type(error).__name__}: {error}".replace("\n", " ")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("client")
    parser.add_argument("url")
    parser.add_argument("key")
    parser.add_argument("secret")
    parser.add_argument("calls", type=int)
    parser.add_argument("--db")
    parser.add_argument("--stream", default="kraken")
    parser.add_argument("--tier", nargs=2, type=float)
    parser.add_argument("--go")
    options = parser.parse_args()
    store: Optional[NonceStore] = None
    if options.db:
        store = NonceStore(options.db, stream=options.stream, tier=tuple(options.tier) if options.tier else None)
    while options.go and not os.path.exists(options.go):
        time.sleep(0.005)
    if options.client == "ccxt":
        run_ccxt(options, store)
    elif options.client == "ccxt-async":
        asyncio.run(run_ccxt_async(options, store))
    elif options.client == "sdk":
        run_sdk(options, store)
    elif options.client == "sdk-async":
        asyncio.run(run_sdk_async(options, store))
    else:
        raise SystemExit(f"unknown client {options.client}")


def ccxt_config(options: argparse.Namespace) -> dict:
    return {"apiKey": options.key, "secret": options.secret, "enableRateLimit": False}


def point_ccxt(exchange: Any, url: str) -> Any:
    exchange.urls["api"] = {"public": url, "private": url}
    return exchange


def ccxt_call(exchange: Any, index: int) -> Callable[[], Any]:
    if index % 5 == 4:
        return exchange.private_post_ledgers
    if index % 5 == 2:
        return exchange.fetch_balance  # a unified method: BalanceEx, after the public markets
    return exchange.private_post_balance


def run_ccxt(options: argparse.Namespace, store: Optional[NonceStore]) -> None:
    if store is not None:
        from noncestore.ccxt import Kraken
        exchange = Kraken(ccxt_config(options), store=store)
    else:
        import ccxt
        exchange = ccxt.kraken(ccxt_config(options))
    point_ccxt(exchange, options.url)
    for index in range(options.calls):
        call = ccxt_call(exchange, index)
        print(outcome(call), flush=True)


async def run_ccxt_async(options: argparse.Namespace, store: Optional[NonceStore]) -> None:
    if store is not None:
        from noncestore.ccxt import AsyncKraken
        exchange = AsyncKraken(ccxt_config(options), store=store)
    else:
        import ccxt.async_support
        exchange = ccxt.async_support.kraken(ccxt_config(options))
    point_ccxt(exchange, options.url)
    try:
        for index in range(options.calls):
            call = ccxt_call(exchange, index)
            print(await outcome_async(call), flush=True)
    finally:
        await exchange.close()


def run_sdk(options: argparse.Namespace, store: Optional[NonceStore]) -> None:
    if store is not None:
        from noncestore.kraken_sdk import User
        user = User(key=options.key, secret=options.secret, url=options.url, store=store)
    else:
        from kraken.spot import User as PlainUser
        user = PlainUser(key=options.key, secret=options.secret, url=options.url)
    for index in range(options.calls):
        call = user.get_ledgers_info if index % 5 == 4 else user.get_account_balance
        print(outcome(call), flush=True)


async def run_sdk_async(options: argparse.Namespace, store: Optional[NonceStore]) -> None:
    if store is not None:
        from noncestore.kraken_sdk import SpotAsyncClient
        client = SpotAsyncClient(key=options.key, secret=options.secret, url=options.url, store=store)
    else:
        from kraken.spot import SpotAsyncClient as PlainAsyncClient
        client = PlainAsyncClient(key=options.key, secret=options.secret, url=options.url)
    try:
        for index in range(options.calls):
            uri = "/0/private/Ledgers" if index % 5 == 4 else "/0/private/Balance"
            print(await outcome_async(lambda: client.request("POST", uri)), flush=True)
    finally:
        await client.close()


if __name__ == "__main__":
    main()
