"""Our credentials for Rasa's HTTP API, and the endpoints our Rasa server refuses."""

import time

import jwt
import pytest

from bot.rasa_api import MAX_AHEAD_S, bearer, claims, is_valid
from bot.rasa_server import refused

SECRET = "rasa-secret-0123456789"


def test_a_fresh_token_is_accepted_and_a_tampered_stale_or_foreign_one_is_not() -> None:
    header = bearer(SECRET)["Authorization"]
    assert is_valid(header, SECRET)
    head, payload, signature = header.removeprefix("Bearer ").split(".")
    tampered = f"Bearer {head}.{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    assert not is_valid(tampered, SECRET)
    assert not is_valid(bearer(SECRET, now=time.time() - 600)["Authorization"], SECRET)
    assert not is_valid(bearer("another-secret-0123456789")["Authorization"], SECRET)
    assert not is_valid(SECRET, SECRET), "the secret itself is not a credential"
    assert not is_valid(None, SECRET) and not is_valid(header, None)


NOW = 1_800_000_000
ADMIN = {"user": {"username": "fusion", "role": "admin"}}


def signed(extra: dict, key: str = SECRET, algorithm: str = "HS256") -> str:
    return f"Bearer {jwt.encode({**ADMIN, **extra}, key, algorithm=algorithm)}"


@pytest.mark.parametrize(
    ("name", "header"),
    [
        ("no exp", signed({"iat": NOW})),
        ("valid until 2100", signed({"iat": NOW, "exp": 4102444800})),
        ("too far ahead", signed({"iat": NOW, "exp": NOW + MAX_AHEAD_S + 1})),
        ("expired", signed({"exp": NOW})),
        ("exp as text", signed({"exp": str(NOW + 60)})),
        ("issued in the future", signed({"iat": NOW + 120, "exp": NOW + 180})),
        ("alg none", signed({"exp": NOW + 60}, "", "none")),
        ("HS512", signed({"exp": NOW + 60}, algorithm="HS512")),
        ("another secret", signed({"exp": NOW + 60}, "another-secret-0123456789")),
        ("not a JWT", "Bearer not.a.jwt"),
        ("two tokens", "Bearer a b"),
        ("surrogates of undecodable bytes", "Bearer \udcff\udcfe"),
        ("latin-1 decoded bytes", "Bearer \xff\xfe"),
        ("non-ASCII", signed({"exp": NOW + 60}).replace("e", "é", 1)),
        ("huge", "Bearer " + "a" * 5000 + ".b.c"),
        ("lower-case scheme", signed({"exp": NOW + 60}).replace("Bearer", "bearer")),
    ],
)
def test_only_our_short_lived_hs256_tokens_are_accepted(name: str, header: str) -> None:
    assert claims(header, SECRET, now=NOW) is None, name


def test_our_tokens_last_five_minutes_and_are_accepted_until_then() -> None:
    header = bearer(SECRET, now=NOW)["Authorization"]
    found = claims(header, SECRET, now=NOW)
    assert found is not None and found["exp"] == NOW + 300 and found["user"]["role"] == "admin"
    assert claims(header, SECRET, now=NOW + 299) is not None
    assert claims(header, SECRET, now=NOW + 300) is None
    # a server whose clock is up to a minute behind the one that signed still takes them
    assert claims(header, SECRET, now=NOW - 60) is not None
    assert claims(header, SECRET, now=NOW - 61) is None
    assert claims(signed({"exp": NOW + MAX_AHEAD_S}), SECRET, now=NOW) is not None


@pytest.mark.parametrize(
    ("method", "path", "refuse"),
    [
        ("PUT", "/model", True),
        ("DELETE", "/model", True),
        ("POST", "/model/train", True),
        ("POST", "/model/test/intents", True),
        ("POST", "/model/parse", False),
        ("GET", "/status", False),
        ("POST", "/conversations/a/trigger_intent", False),
        ("POST", "/webhooks/rest/webhook", False),
    ],
)
def test_only_model_changes_are_refused(method: str, path: str, refuse: bool) -> None:
    assert refused(method, path) is refuse
