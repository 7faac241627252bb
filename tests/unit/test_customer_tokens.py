"""Customer tokens and anonymous conversation ids: what a conversation can prove."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import jwt
import pytest

from bot.chat_access import AccessRefused, ChatAccess, SlidingLimit
from engagement.customer_tokens import (
    InvalidCustomerToken,
    is_anonymous,
    is_web_anonymous_id,
    mint_customer_token,
    new_web_anonymous_id,
    rest_anonymous_id,
    verify_customer_token,
)

SECRET = "customer-token-secret-0123456789"
SERVER = "server-secret-0123456789abcdef"
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=timezone.utc)


def test_a_token_the_shop_minted_proves_its_customer_until_it_expires() -> None:
    token = mint_customer_token(SECRET, "lea-42", NOW, timedelta(minutes=15))
    assert verify_customer_token(SECRET, token, NOW + timedelta(minutes=14)) == "lea-42"
    with pytest.raises(InvalidCustomerToken, match="expired"):
        verify_customer_token(SECRET, token, NOW + timedelta(minutes=16))


@pytest.mark.parametrize(
    "token",
    [
        jwt.encode({"sub": "lea", "aud": "fusion-customer", "exp": 1796644800}, "other-0123456"),
        jwt.encode({"sub": "lea", "aud": "fusion-customer"}, SECRET),  # no exp
        jwt.encode({"sub": "lea", "exp": 1796644800}, SECRET),  # no audience
        jwt.encode({"sub": "lea", "aud": "fusion-customer", "exp": 4102444800}, SECRET),  # 2100
        jwt.encode({"sub": "~w-x", "aud": "fusion-customer", "exp": 1796644800}, SECRET),
        jwt.encode({"sub": "lea", "aud": "fusion-customer", "exp": 1796644800}, None, "none"),
        "not.a.token", "", "é" * 10, "x" * 5000, None, 42,
    ],
    ids=["other-secret", "no-exp", "no-aud", "year-2100", "anonymous-sub", "alg-none",
         "garbage", "empty", "non-ascii", "huge", "none", "number"],
)
def test_anything_else_proves_nothing(token: object) -> None:
    with pytest.raises(InvalidCustomerToken):
        verify_customer_token(SECRET, token, NOW)


def test_anonymous_ids_cannot_be_customer_ids_and_web_ones_cannot_be_forged() -> None:
    minted = new_web_anonymous_id(SERVER)
    assert is_anonymous(minted) and is_web_anonymous_id(SERVER, minted)
    assert not is_web_anonymous_id("another-server-secret-0123", minted)
    assert not is_web_anonymous_id(SERVER, minted[:-1] + ("0" if minted[-1] != "0" else "1"))
    assert not is_web_anonymous_id(SERVER, "lea")
    rest = rest_anonymous_id(SERVER, "lea")
    assert is_anonymous(rest) and rest == rest_anonymous_id(SERVER, "lea") != "lea"
    with pytest.raises(ValueError):
        mint_customer_token(SECRET, "~w-someone", NOW)


def access() -> ChatAccess:
    return ChatAccess.from_credentials({"customer_token_secret": SECRET, "server_secret": SERVER})


def test_rest_speaks_for_the_token_s_customer_and_for_nobody_without_one() -> None:
    token = mint_customer_token(SECRET, "lea", datetime.now(timezone.utc))
    assert access().rest_conversation(f"Bearer {token}", "tom") == "lea"
    assert access().rest_conversation(None, "lea") == rest_anonymous_id(SERVER, "lea")
    for header in ("Bearer ", "Basic abc", f"Bearer {token}x", "Bearer \xff\xfe"):
        with pytest.raises(AccessRefused) as refused:
            access().rest_conversation(header, "lea")
        assert refused.value.status == 401
    with pytest.raises(AccessRefused) as refused:
        access().rest_conversation(None, "x" * 129)
    assert refused.value.status == 400


def test_a_client_over_its_rate_waits_for_the_window_to_pass() -> None:
    now = [0.0]
    limit = SlidingLimit(3, clock=lambda: now[0])
    assert [limit.allow("a") for _ in range(4)] == [True, True, True, False]
    assert limit.allow("b"), "another client has its own count"
    now[0] = 61.0
    assert limit.allow("a")


def test_the_channels_refuse_to_start_without_the_server_secret() -> None:
    with pytest.raises(ValueError, match="FUSION_SERVER_SECRET"):
        ChatAccess.from_credentials({"customer_token_secret": SECRET, "server_secret": ""})
