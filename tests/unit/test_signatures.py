"""The platforms' signatures, checked against their own SDKs' reference code (installed with
Rasa): Twilio's RequestValidator and Slack's SignatureVerifier."""

import hashlib
import hmac

import pytest
from slack_sdk.signature import SignatureVerifier
from twilio.request_validator import RequestValidator

from bot.signatures import (
    Refused,
    Replays,
    check_meta,
    check_slack,
    check_telegram,
    check_twilio,
    slack_signature,
    twilio_signature,
)

URL = "https://bot.example.com/webhooks/twilio/webhook"
FORM = [("From", "+33611111111"), ("Body", "Bonjour"), ("To", "+33100000000")]


def test_twilio_signature_is_twilios_own() -> None:
    expected = RequestValidator("auth-token").compute_signature(URL, dict(FORM))
    assert twilio_signature("auth-token", URL, FORM) == expected
    check_twilio({"X-Twilio-Signature": expected}, URL, FORM, "auth-token")
    with pytest.raises(Refused) as wrong:
        check_twilio({"X-Twilio-Signature": expected}, URL, [*FORM[:2], ("To", "+1")], "auth-token")
    assert wrong.value.status == 403
    with pytest.raises(Refused) as missing:
        check_twilio({}, URL, FORM, "auth-token")
    assert missing.value.status == 401


def test_slack_signature_is_slacks_own_within_five_minutes() -> None:
    body = b'{"type":"event_callback"}'
    expected = SignatureVerifier("signing").generate_signature(timestamp="1000", body=body)
    assert slack_signature("signing", "1000", body) == expected
    headers = {"X-Slack-Request-Timestamp": "1000", "X-Slack-Signature": expected}
    check_slack(headers, body, "signing", now=1000 + 299)
    for now in (1000 + 301, 1000 - 301):  # stale, or from the future
        with pytest.raises(Refused, match="5 minutes"):
            check_slack(headers, body, "signing", now=now)
    with pytest.raises(Refused, match="wrong"):
        check_slack(headers, body + b" ", "signing", now=1000)


def test_meta_wants_the_sha256_header() -> None:
    body = b'{"object":"page"}'
    good = "sha256=" + hmac.new(b"app-secret", body, hashlib.sha256).hexdigest()
    check_meta({"X-Hub-Signature-256": good}, body, "app-secret")
    legacy = "sha1=" + hmac.new(b"app-secret", body, hashlib.sha1).hexdigest()
    with pytest.raises(Refused) as only_legacy:
        check_meta({"X-Hub-Signature": legacy}, body, "app-secret")
    assert only_legacy.value.status == 401
    with pytest.raises(Refused):
        check_meta({"X-Hub-Signature-256": good}, body + b"x", "app-secret")


def test_telegram_wants_its_secret_token() -> None:
    check_telegram({"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"}, "s3cret-token")
    with pytest.raises(Refused):
        check_telegram({"X-Telegram-Bot-Api-Secret-Token": "s3cret-tokem"}, "s3cret-token")


def test_replays_are_remembered_for_a_while_and_within_a_size() -> None:
    replays = Replays(ttl_s=60, capacity=2)
    assert replays.first_time("a", now=0) and not replays.first_time("a", now=59)
    assert replays.first_time("a", now=61), "forgotten after its time"
    assert replays.first_time("b", now=62) and replays.first_time("c", now=62)
    assert replays.first_time("a", now=63), "the oldest goes when full"
