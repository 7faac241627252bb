"""How each messaging platform signs the webhooks it sends, checked in constant time, and a
memory of what was already accepted so that a replayed request is not taken twice.

Rasa 3.6.21's own connectors leave these open: Telegram and Twilio verify nothing, Facebook
compares only the legacy SHA-1 header with ``==``; Slack checks its signature but accepts a
replay within its 5-minute window. ``bot.messaging`` puts these checks in front of them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence

SLACK_WINDOW_S = 300  # Slack: refuse requests whose timestamp is further than this from now


class Refused(Exception):
    """The request is not from the platform (``status`` 401 or 403) or too old."""

    def __init__(self, reason: str, status: int = 403) -> None:
        super().__init__(reason)
        self.status = status


def _equal(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def check_telegram(headers: Mapping[str, str], secret: str) -> None:
    """``X-Telegram-Bot-Api-Secret-Token``: the secret given to ``setWebhook``."""
    given = headers.get("X-Telegram-Bot-Api-Secret-Token")
    if given is None:
        raise Refused("missing X-Telegram-Bot-Api-Secret-Token", 401)
    if not _equal(given, secret):
        raise Refused("wrong Telegram secret token")


def slack_signature(secret: str, timestamp: str, body: bytes) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def check_slack(
    headers: Mapping[str, str], body: bytes, secret: str, now: float | None = None
) -> None:
    """``X-Slack-Signature`` over ``v0:<timestamp>:<body>``, the timestamp within 5 minutes."""
    timestamp = headers.get("X-Slack-Request-Timestamp")
    signature = headers.get("X-Slack-Signature")
    if timestamp is None or signature is None:
        raise Refused("missing X-Slack-Signature or X-Slack-Request-Timestamp", 401)
    try:
        age = abs((time.time() if now is None else now) - int(timestamp))
    except ValueError:
        raise Refused("X-Slack-Request-Timestamp is not a number") from None
    if age > SLACK_WINDOW_S:
        raise Refused("the Slack request is older than 5 minutes")
    if not _equal(signature, slack_signature(secret, timestamp, body)):
        raise Refused("wrong Slack signature")


def meta_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def check_meta(headers: Mapping[str, str], body: bytes, secret: str) -> None:
    """``X-Hub-Signature-256``: HMAC-SHA256 of the body with the app secret."""
    signature = headers.get("X-Hub-Signature-256")
    if signature is None:
        raise Refused("missing X-Hub-Signature-256", 401)
    if not _equal(signature, meta_signature(secret, body)):
        raise Refused("wrong X-Hub-Signature-256")


def twilio_signature(auth_token: str, url: str, form: Sequence[tuple[str, str]]) -> str:
    """Base64 of HMAC-SHA1 over the URL Twilio called, then each parameter's name and value
    sorted by name."""
    data = url + "".join(name + value for name, value in sorted(form))
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def check_twilio(
    headers: Mapping[str, str], url: str, form: Sequence[tuple[str, str]], auth_token: str
) -> None:
    signature = headers.get("X-Twilio-Signature")
    if signature is None:
        raise Refused("missing X-Twilio-Signature", 401)
    if not _equal(signature, twilio_signature(auth_token, url, form)):
        raise Refused("wrong X-Twilio-Signature")


class Replays:
    """What each channel already accepted (a signature or an update id), remembered for
    ``ttl_s`` seconds, at most ``capacity`` of them: a replay inside that time is answered
    without being taken again. One per Rasa server (see the operator's guide)."""

    def __init__(self, ttl_s: float = 24 * 3600, capacity: int = 100_000) -> None:
        self._ttl_s = ttl_s
        self._capacity = capacity
        self._seen: OrderedDict[str, float] = OrderedDict()

    def first_time(self, key: str, now: float | None = None) -> bool:
        """True, and remembered, the first time ``key`` comes."""
        moment = time.monotonic() if now is None else now
        while self._seen and (
            len(self._seen) >= self._capacity or next(iter(self._seen.values())) < moment
        ):
            self._seen.popitem(last=False)
        if key in self._seen:
            return False
        self._seen[key] = moment + self._ttl_s
        return True
