"""Messaging channels (Telegram, Slack, Facebook Messenger, Twilio): Rasa's connectors with
a check in front of their webhook (``bot.signatures``): the platform's signature compared in
constant time, Slack's 5-minute window, and replays answered without being taken twice.

Each keeps Rasa's name and routes (``/webhooks/<name>/webhook``). ``credentials.yml`` lists
them when their ``FUSION_*`` variables are set (``engagement.settings``, README)."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.facebook import FacebookInput
from rasa.core.channels.slack import SlackInput
from rasa.core.channels.telegram import TelegramInput, TelegramOutput
from rasa.core.channels.twilio import TwilioInput
from sanic import Blueprint, response
from sanic.request import Request

from bot.signatures import Refused, Replays, check_meta, check_slack, check_telegram, check_twilio

log = logging.getLogger(__name__)

OnMessage = Callable[[UserMessage], Awaitable[Any]]


class _Verified:
    """Mixed in before a Rasa connector: ``check(request)`` (the replay key of a genuine
    request, or ``Refused``) runs in front of the blueprint's ``POST …/webhook``. A request
    is remembered once verified, even if Rasa then fails (e.g. its answer cannot reach the
    platform): the platform's retry would take the customer's message a second time."""

    def check(self, request: Request) -> str:
        raise NotImplementedError

    def blueprint(self, on_new_message: OnMessage) -> Blueprint:
        blueprint: Blueprint = super().blueprint(on_new_message)  # type: ignore[misc]
        replays = Replays()
        name = self.name()  # type: ignore[attr-defined]

        async def before(request: Request) -> Any:
            if request.method != "POST" or not request.path.rstrip("/").endswith("/webhook"):
                return None
            try:
                key = self.check(request)
            except Refused as refused:
                log.warning("%s webhook refused: %s", name, refused)
                return response.json({"error": str(refused)}, status=refused.status)
            if not replays.first_time(key):
                log.warning("%s webhook: a replayed request was not taken again", name)
                return response.json({"status": "duplicate"})
            return None

        blueprint.middleware(before, "request")
        return blueprint


def _digest(*parts: str | bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part if isinstance(part, bytes) else part.encode())
        h.update(b"\0")
    return h.hexdigest()


class _KnownTelegramBot(TelegramOutput):
    """Rasa asks Telegram who the bot is (``getMe``) on every update and compares the name
    with ``verify``, which authenticates nothing; the secret token has, so the name is
    answered from the credentials, saving a round trip to Telegram per message."""

    def __init__(self, access_token: str | None, username: str | None) -> None:
        super().__init__(access_token)
        self._username = username

    async def get_me(self) -> Any:  # type: ignore[override]
        return SimpleNamespace(username=self._username)


class VerifiedTelegramInput(_Verified, TelegramInput):
    """``secret_token``: the secret given to Telegram's ``setWebhook``; each update once."""

    def get_output_channel(self) -> TelegramOutput:
        return _KnownTelegramBot(self.access_token, self.verify)

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        credentials = credentials or {}
        channel = cls(credentials.get("access_token"), credentials.get("verify"),
                      credentials.get("webhook_url"), debug_mode=False)  # fmt: skip
        channel.secret_token = str(credentials.get("secret_token") or "")
        if not channel.secret_token:
            raise ValueError("the Telegram channel needs secret_token (FUSION_TELEGRAM_SECRET)")
        return channel

    def check(self, request: Request) -> str:
        check_telegram(request.headers, self.secret_token)
        update = request.json if isinstance(request.json, dict) else {}
        return f"update:{update.get('update_id', _digest(request.body))}"


class VerifiedSlackInput(_Verified, SlackInput):
    """Rasa checks Slack's signature too; we add the replay memory (and check it first,
    in constant time, whatever Rasa's version does). Settings insist on the secret."""

    def check(self, request: Request) -> str:
        check_slack(request.headers, request.body, self.slack_signing_secret)
        return f"slack:{request.headers['X-Slack-Signature']}"


class VerifiedFacebookInput(_Verified, FacebookInput):
    """``X-Hub-Signature-256`` (Rasa checks only the legacy SHA-1 header, with ``==``)."""

    def check(self, request: Request) -> str:
        check_meta(request.headers, request.body, self.fb_secret)
        return f"meta:{request.headers['X-Hub-Signature-256']}"


class VerifiedTwilioInput(_Verified, TwilioInput):
    """``X-Twilio-Signature`` over the URL Twilio calls (``webhook_url``: the public one,
    as a proxy in front changes what we see) and the form's parameters."""

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        credentials = credentials or {}
        channel = cls(credentials.get("account_sid"), credentials.get("auth_token"),
                      credentials.get("twilio_number"), debug_mode=False)  # fmt: skip
        channel.webhook_url = str(credentials.get("webhook_url") or "")
        if not channel.auth_token:
            raise ValueError("the Twilio channel needs FUSION_TWILIO_AUTH_TOKEN")
        return channel

    def check(self, request: Request) -> str:
        form = [(name, value) for name, values in request.form.items() for value in values]
        url = self.webhook_url or request.url
        check_twilio(request.headers, url, form, str(self.auth_token))
        return f"twilio:{request.headers['X-Twilio-Signature']}"
