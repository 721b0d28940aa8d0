"""`noncestore.ccxt.exchange`: which exchanges and streams it takes, what it refuses and
why, and that a private request takes one nonce from the stream and a public one none."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any, Callable

import ccxt
import ccxt.async_support
import ccxt.pro
import pytest
from bitfinex_standin import BitfinexStandIn
from kraken_standin import KrakenStandIn
from test_exchange_clients import VENUES

from noncestore import NonceStore, NonceStoreError
from noncestore._exchange_presets import exchange_presets
from noncestore.ccxt import Kraken, exchange

BITFINEX_CEILING = 9007199254740991
COUNTING = [preset.id for preset in exchange_presets().values() if preset.family == "increasing"]


@pytest.fixture
def location(tmp_path: Path) -> str:
    return str(tmp_path / "nonces.sqlite")


def refusal(call: Callable[[], Any]) -> NonceStoreError:
    with pytest.raises(NonceStoreError) as refused:
        call()
    return refused.value


@pytest.mark.parametrize("exchange_id", COUNTING)
def test_every_counting_preset_gives_ccxts_class_or_says_ccxt_lacks_it(exchange_id: str, location: str) -> None:
    """Sync, asyncio and ccxt.pro: an instance of ccxt's own class for the id, or, where this
    ccxt has none (EXMO is not in ccxt 4.5.90; not every exchange is in ccxt.pro), a refusal
    naming the module and its version."""
    store = NonceStore(location, stream=exchange_id, exchange=exchange_id)

    async def make_each() -> None:
        for flavour, module in (("sync", ccxt), ("asyncio", ccxt.async_support), ("pro", ccxt.pro)):
            asyncio_, pro = flavour == "asyncio", flavour == "pro"
            base = getattr(module, exchange_id, None)
            if base is None:
                refused = refusal(lambda: exchange(exchange_id, store=store, asyncio=asyncio_, pro=pro))
                assert refused.code == "invalid_argument"
                assert f"{module.__name__} {ccxt.__version__} has no exchange '{exchange_id}'" in str(refused)
                continue
            made = exchange(exchange_id, {"apiKey": "k", "secret": "s"}, store=store, asyncio=asyncio_, pro=pro)
            assert isinstance(made, base) and made.id == exchange_id
            if flavour != "sync":
                await made.close()

    asyncio.run(make_each())
    store.close()


def test_window_random_and_unknown_exchanges_are_refused(location: str) -> None:
    with NonceStore(location, stream="any") as store:
        window = refusal(lambda: exchange("binance", store=store))
        assert window.code == "invalid_argument" and "runs ahead of the clock" in str(window)
        random_nonce = refusal(lambda: exchange("bitstamp", store=store))
        assert random_nonce.code == "invalid_argument" and "nothing to count" in str(random_nonce)
        unknown = refusal(lambda: exchange("nowhere", store=store))
        assert unknown.code == "invalid_argument" and "'nowhere'" in str(unknown) and "bitfinex" in str(unknown)


@pytest.mark.parametrize("rules, why", [
    ({}, "issues in ns with no ceiling below 2^63-1 and could send larger ones"),
    ({"unit": "ms"}, "issues in ms with no ceiling below 2^63-1 and could send larger ones"),
    ({"unit": "ms", "max_nonce": BITFINEX_CEILING + 1}, f"with ceiling {BITFINEX_CEILING + 1} and could send"),
    ({"unit": "ns", "max_nonce": BITFINEX_CEILING}, "issues in ns, where the clock alone is"),
    ({"unit": "10ns", "max_nonce": BITFINEX_CEILING}, "issues in 10ns, where the clock alone is"),
    ({"exchange": "kraken"}, "was created for 'kraken', not 'bitfinex'"),
])
def test_a_stream_bitfinex_cannot_take_is_refused(location: str, rules: dict, why: str) -> None:
    with NonceStore(location, stream="key", **rules) as store:
        refused = refusal(lambda: exchange("bitfinex", store=store))
    assert refused.code == "invalid_argument"
    assert why in str(refused) and "exchange='bitfinex' (in ms with ceiling 9007199254740991)" in str(refused)


def test_streams_bitfinex_can_take(location: str) -> None:
    """Its preset's; microseconds (Bitfinex's own example) under its ceiling; a lower ceiling."""
    for name, rules in (("preset", {"exchange": "bitfinex"}), ("micro", {"unit": "us", "max_nonce": BITFINEX_CEILING}),
                        ("lower", {"unit": "ms", "max_nonce": BITFINEX_CEILING // 2})):
        with NonceStore(location, stream=name, **rules) as store:
            assert isinstance(exchange("bitfinex", store=store), ccxt.bitfinex)


def test_a_stream_at_its_ceiling_is_exhausted(location: str) -> None:
    with NonceStore(location, stream="key", unit="s", max_nonce=time.time_ns() // 1_000_000_000 - 1) as store:
        assert refusal(lambda: exchange("gemini", store=store)).code == "exhausted"


def test_kraken_keeps_its_own_class_on_any_stream(location: str) -> None:
    """Kraken takes u64 nonces: a nanosecond stream made before presets existed still serves."""
    with NonceStore(location, stream="kraken") as store:
        assert type(exchange("kraken", store=store)) is Kraken


def test_bitbank_signs_with_the_streams_nonce_unless_told_otherwise(location: str) -> None:
    with NonceStore(location, stream="bitbank", exchange="bitbank") as store:
        assert exchange("bitbank", {"options": {"x": 1}}, store=store).options["authMethod"] == "nonce"
        chosen = exchange("bitbank", {"options": {"authMethod": "timeWindow"}}, store=store)
        assert chosen.options["authMethod"] == "timeWindow"


def test_a_private_request_takes_one_nonce_and_a_public_one_none(location: str) -> None:
    key, secret, _ = VENUES["kraken"]
    with NonceStore(location, stream="kraken", exchange="kraken") as store, \
            KrakenStandIn(keys={key: secret}) as stand_in:
        bot = exchange("kraken", {"apiKey": key, "secret": secret, "enableRateLimit": False}, store=store)
        bot.urls["api"] = {"public": stand_in.url, "private": stand_in.url}
        bot.public_get_time()
        assert store.stats().issued_total == 0
        bot.private_post_balance()
        bot.private_post_balance()
        stats = store.stats()
        assert stats.issued_total == 2 and [call.nonce for call in stand_in.calls][-1] == stats.last_issued


def test_asyncio_and_pro_clients_take_the_streams_nonces(location: str) -> None:
    key, secret, _ = VENUES["bitfinex"]

    async def call_both(url: str, store: NonceStore) -> None:
        for arguments in ({"asyncio": True}, {"pro": True}):
            bot = exchange("bitfinex", {"apiKey": key, "secret": secret, "enableRateLimit": False},
                           store=store.asyncio(), **arguments)
            bot.urls["api"] = {name: url for name in bot.urls["api"]}
            try:
                await bot.private_post_auth_r_wallets()
            finally:
                await bot.close()

    with NonceStore(location, stream="bitfinex", exchange="bitfinex") as store, \
            BitfinexStandIn({key: secret}) as stand_in:
        asyncio.run(call_both(stand_in.url, store))
        assert stand_in.log.accepted(key) == 2 and store.stats().issued_total == 2
        assert stand_in.log.accepted_nonces(key)[-1] == store.stats().last_issued
