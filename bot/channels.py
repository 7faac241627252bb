"""Customer-facing channels: Rasa's REST and socket.io inputs with safe defaults.

Measured on Rasa 3.6.21: a 20,000-word REST message takes a minute and 17 GB while every
other customer waits, and a REST message without ``sender`` lands in a shared "default"
conversation. These subclasses refuse both before the message reaches the model, keep
the channel names (``rest``, ``socketio``) so URLs and ``output_channel`` stay the same,
and stop customers from injecting arbitrary ``/intent{entities}`` payloads.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

import aiohttp
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint, response
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.rasa_api import is_valid

log = logging.getLogger(__name__)

DEFAULT_MAX_MESSAGE_LENGTH = 1000
MAX_SENDER_LENGTH = 128
# A button may send "/intent", or the one payload with an entity that buttons carry (a vote
# for an idea, whose id the service checks); anything else that starts with "/" is text.
_BUTTON_PAYLOAD = re.compile(r'^/[a-z][a-z_]*$|^/vote_idea\{"idea_id": ?"[A-Za-z0-9_-]{1,64}"\}$')

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


def neutralise_payload(text: str) -> str:
    """Plain customer text cannot inject an intent with entities, or an internal intent."""
    if text.startswith("/") and not _BUTTON_PAYLOAD.match(text.strip()):
        return text.lstrip("/")
    return text


def _max_length(credentials: dict[str, Any] | None) -> int:
    raw = (credentials or {}).get("max_message_length", DEFAULT_MAX_MESSAGE_LENGTH)
    value = int(raw)
    if value < 1:
        raise ValueError("max_message_length must be positive")
    return value


class GuardedRestInput(RestInput):
    """``POST /webhooks/rest/webhook``: 400 without a sender, 413 over the length limit."""

    def __init__(self, max_message_length: int = DEFAULT_MAX_MESSAGE_LENGTH) -> None:
        self.max_message_length = max_message_length

    @classmethod
    def name(cls) -> str:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls(_max_length(credentials))

    async def _extract_sender(self, req: Request) -> str | None:
        body = _json_object(req)
        sender = body.get("sender")
        if not isinstance(sender, str) or not sender.strip():
            raise SanicException("a message needs a 'sender' (the customer id)", status_code=400)
        if len(sender) > MAX_SENDER_LENGTH:
            raise SanicException(f"'sender' is longer than {MAX_SENDER_LENGTH}", status_code=400)
        return sender

    def _extract_message(self, req: Request) -> str | None:
        text = _json_object(req).get("message")
        if not isinstance(text, str):
            raise SanicException("a message needs a 'message' text", status_code=400)
        if len(text) > self.max_message_length:
            raise SanicException(
                f"messages are limited to {self.max_message_length} characters", status_code=413
            )
        return neutralise_payload(text)

    def _extract_input_channel(self, req: Request) -> str:
        return self.name()


class GuardedSocketIOInput(SocketIOInput):
    """socket.io: an over-long message gets a ``fusion_error`` event and never reaches NLU.

    It also knows who is connected: ``GET /webhooks/socketio/presence/<session>`` (with the
    Rasa API token) tells the engagement service whether a nudge would reach anyone, and a
    session that comes back is announced to it, so what waited is sent then."""

    max_message_length = DEFAULT_MAX_MESSAGE_LENGTH
    presence_token: str | None = None
    engagement_url: str | None = None
    assistant_token: str | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._announcing: set[asyncio.Task[None]] = set()

    @classmethod
    def name(cls) -> str:
        return "socketio"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        channel = super().from_credentials(credentials)
        assert isinstance(channel, GuardedSocketIOInput)
        channel.max_message_length = _max_length(credentials)
        options = credentials or {}
        channel.presence_token = options.get("presence_token") or None
        channel.engagement_url = (options.get("engagement_url") or "").rstrip("/") or None
        channel.assistant_token = options.get("assistant_token") or None
        return channel

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        async def guarded(message: UserMessage) -> Any:
            text = message.text or ""
            if len(text) > self.max_message_length:
                assert self.sio is not None
                await self.sio.emit(
                    "fusion_error",
                    {"error": "message_too_long", "max_length": self.max_message_length},
                    room=message.sender_id,
                )
                return None
            message.text = neutralise_payload(text)
            return await on_new_message(message)

        blueprint = super().blueprint(guarded)
        self._join_session_rooms()

        # Sanic marks route handlers with attributes: a plain function, not a bound method
        async def presence(request: Request, session_id: str) -> HTTPResponse:
            return await self._presence(request, session_id)

        blueprint.add_route(presence, "/presence/<session_id:str>", methods=["GET"])
        return blueprint

    async def _presence(self, request: Request, session_id: str) -> HTTPResponse:
        if not is_valid(request.headers.get("Authorization"), self.presence_token):
            return response.json({"error": "a JWT of the Rasa API is required"}, status=401)
        assert self.sio is not None
        namespace = self.namespace or "/"  # socket.io's default namespace
        online = any(True for _ in self.sio.manager.get_participants(namespace, session_id))
        return response.json({"online": online})

    def _announce(self, session_id: str) -> None:
        """Tells the engagement service this session is back (in the background: the
        customer's session must not wait for it)."""
        if not (self.engagement_url and self.assistant_token):
            return
        task = asyncio.create_task(self._came_back(session_id))
        self._announcing.add(task)
        task.add_done_callback(self._announcing.discard)

    async def _came_back(self, session_id: str) -> None:
        url = f"{self.engagement_url}/api/v1/conversations/{quote(session_id, safe='')}/back"
        headers = {"Authorization": f"Bearer {self.assistant_token}"}
        timeout = aiohttp.ClientTimeout(total=5)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.post(url, headers=headers) as answer,
            ):
                if answer.status != 200:
                    log.warning("the engagement service answered %s to %s", answer.status, url)
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("could not tell the engagement service a session is back: %r", exc)

    def _join_session_rooms(self) -> None:
        """Rasa 3.6 calls ``sio.enter_room`` without awaiting it, and in python-socketio 5.10+
        it is a coroutine: the socket never joins its session's room and, with
        ``session_persistence``, the bot's answers (sent to that room) reach nobody. The
        same handler, with the call awaited."""
        sio = self.sio
        assert sio is not None

        async def session_request(sid: str, data: dict[str, Any] | None) -> None:
            data = dict(data or {})
            if not data.get("session_id"):
                data["session_id"] = uuid.uuid4().hex
            if self.session_persistence:
                entered = sio.enter_room(sid, data["session_id"])
                if inspect.isawaitable(entered):
                    await entered
            await sio.emit("session_confirm", data["session_id"], room=sid)
            if self.session_persistence:
                self._announce(str(data["session_id"]))

        sio.on("session_request", session_request, namespace=self.namespace)


def _json_object(req: Request) -> dict[str, Any]:
    body = req.json
    if not isinstance(body, dict):
        raise SanicException("the body must be a JSON object", status_code=400)
    return body
