"""Our credentials for Rasa's HTTP API, and the endpoints our Rasa server refuses."""

import time

import pytest

from bot.rasa_api import bearer, is_valid
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
