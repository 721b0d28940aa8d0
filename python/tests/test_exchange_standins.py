"""The Bitfinex and Gemini stand-ins enforce what they claim, seen through plain ccxt clients
(whose signing code is the reference): a good call passes, and a wrong secret, a nonce not
above the last one and (Bitfinex) one above 2^53 - 1 are refused with the errors ccxt maps
to its own exceptions."""

from __future__ import annotations

from typing import Any, Callable

import ccxt
import pytest
from bitfinex_standin import MAX_NONCE, BitfinexStandIn
from gemini_standin import GeminiStandIn


def client(exchange_id: str, key: str, secret: str, url: str) -> Any:
    made = getattr(ccxt, exchange_id)({"apiKey": key, "secret": secret, "enableRateLimit": False})
    made.urls["api"] = {name: url for name in made.urls["api"]}
    return made


def refused_with(call: Callable[[], Any]) -> type:
    with pytest.raises(ccxt.BaseError) as refused:
        call()
    return type(refused.value)


def test_the_bitfinex_stand_in_checks_signature_and_nonce() -> None:
    with BitfinexStandIn({"key": "secret"}) as exchange:
        bot = client("bitfinex", "key", "secret", exchange.url)
        assert bot.private_post_auth_r_wallets()[0][:3] == ["exchange", "USD", 1000.0]
        forger = client("bitfinex", "key", "not-the-secret", exchange.url)
        assert refused_with(forger.private_post_auth_r_wallets) is ccxt.AuthenticationError
        behind = client("bitfinex", "key", "secret", exchange.url)
        behind.nonce = lambda: 1  # a nonce far below the last accepted one
        assert refused_with(behind.private_post_auth_r_wallets) is ccxt.InvalidNonce
        ahead = client("bitfinex", "key", "secret", exchange.url)
        ahead.nonce = lambda: MAX_NONCE + 1
        assert refused_with(ahead.private_post_auth_r_wallets) is ccxt.InvalidNonce
        at_the_limit = client("bitfinex", "key", "secret", exchange.url)
        at_the_limit.nonce = lambda: MAX_NONCE
        at_the_limit.private_post_auth_r_wallets()
        assert [call.error for call in exchange.log.calls] == [None, "apikey: digest invalid", "nonce: small",
                                                               "nonce: too large", None]
        assert exchange.invalid_nonces("key") == 2


def test_the_gemini_stand_in_checks_signature_and_nonce() -> None:
    with GeminiStandIn({"account-key": "secret"}) as exchange:
        bot = client("gemini", "account-key", "secret", exchange.url)
        assert bot.private_post_v1_balances()[0]["currency"] == "USD"
        forger = client("gemini", "account-key", "not-the-secret", exchange.url)
        assert refused_with(forger.private_post_v1_balances) is ccxt.AuthenticationError
        behind = client("gemini", "account-key", "secret", exchange.url)
        behind.nonce = lambda: 1
        assert refused_with(behind.private_post_v1_balances) is ccxt.InvalidNonce
        stranger = client("gemini", "account-unknown", "secret", exchange.url)
        assert refused_with(stranger.private_post_v1_balances) is ccxt.AuthenticationError
        assert [call.error for call in exchange.log.calls] == [None, "InvalidSignature", "InvalidNonce",
                                                               "InvalidApiKey"]
