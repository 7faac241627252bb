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
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

import aiohttp
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.chat_access import AccessRefused, ChatAccess, is_unicode
from bot.rasa_api import is_valid
from engagement.customer_tokens import CLIENT_KEY, is_web_anonymous_id

log = logging.getLogger(__name__)

DEFAULT_MAX_MESSAGE_LENGTH = 1000
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
    """``POST /webhooks/rest/webhook``: a customer's conversation with ``Authorization: Bearer
    <customer token>``, else the anonymous conversation of ``sender``; 400 without either,
    401 for a token that proves nothing, 413 over the length limit, 429 over the rate."""

    def __init__(self, access: ChatAccess, max_message_length: int = DEFAULT_MAX_MESSAGE_LENGTH):
        self.access = access
        self.max_message_length = max_message_length

    @classmethod
    def name(cls) -> str:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls(ChatAccess.from_credentials(credentials), _max_length(credentials))

    async def _extract_sender(self, req: Request) -> str | None:
        body = _json_object(req)
        try:
            conversation = self.access.rest_conversation(
                req.headers.get("Authorization"), body.get("sender")
            )
        except AccessRefused as exc:
            raise SanicException(str(exc), status_code=exc.status) from None
        if not self.access.admit(conversation, self._client(req)):
            raise SanicException("too many messages: wait a minute", status_code=429)
        return conversation

    def _extract_message(self, req: Request) -> str | None:
        text = _json_object(req).get("message")
        if not isinstance(text, str):
            raise SanicException("a message needs a 'message' text", status_code=400)
        if not is_unicode(text):
            raise SanicException("the message is not valid Unicode text", status_code=400)
        if len(text) > self.max_message_length:
            raise SanicException(
                f"messages are limited to {self.max_message_length} characters", status_code=413
            )
        return neutralise_payload(text)

    def _extract_input_channel(self, req: Request) -> str:
        return self.name()

    def get_metadata(self, request: Request) -> dict[str, Any] | None:
        """Only what the server vouches for: the client's metadata is not taken."""
        return {CLIENT_KEY: self.access.client_tag(self._client(request))}

    def _client(self, request: Request) -> str:
        return self.access.client(request.ip, request.headers.get("X-Forwarded-For"))


class GuardedSocketIOInput(SocketIOInput):
    """socket.io: each connection talks in the conversation its customer token grants (or
    in an anonymous one Fusion minted for it), whatever ``session_id`` it sends; answers and
    nudges go to that conversation's room only. An over-long message or one over the rate
    gets a ``fusion_error`` event and never reaches NLU.

    It also knows who is connected: ``GET /webhooks/socketio/presence/<session>`` (with the
    Rasa API token) tells the engagement service whether a nudge would reach anyone, and a
    session that comes back is announced to it, so what waited is sent then."""

    max_message_length = DEFAULT_MAX_MESSAGE_LENGTH
    presence_token: str | None = None
    engagement_url: str | None = None
    assistant_token: str | None = None
    origins: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._announcing: set[asyncio.Task[None]] = set()
        self._conversations: dict[str, str] = {}  # socket id → conversation id
        self.access: ChatAccess | None = None

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
        channel.access = ChatAccess.from_credentials(credentials)
        channel.origins = tuple(
            origin.strip().lower()
            for origin in str(options.get("origins") or "").split(",")
            if origin.strip()
        )
        return channel

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        blueprint = super().blueprint(on_new_message)
        assert self.sio is not None
        # Rasa builds its server with no CORS handling at all: no origin is checked and
        # browsers drop the polling answers of other sites. Only the listed origins (and
        # clients that send none, such as apps) may open a connection.
        self.sio.eio.cors_allowed_origins = list(self.origins)
        self.sio.eio.cors_credentials = False
        self._replace_handlers(on_new_message)

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

    def _replace_handlers(self, on_new_message: OnNewMessage) -> None:
        """Rasa's handlers take the client's ``session_id`` as the conversation, so anyone
        who knows an id joins its room and writes in it; they also call ``sio.enter_room``
        without awaiting it (a coroutine in python-socketio 5.10+). Ours bind each socket to
        the conversation its token proves, or to an anonymous one."""
        sio, access = self.sio, self.access
        assert sio is not None and access is not None

        async def session_request(sid: str, data: Any) -> None:
            data = data if isinstance(data, dict) else {}
            token = _token_in(data)
            try:
                conversation = access.customer_of_token(token) if token else None
            except AccessRefused as exc:
                await sio.emit("fusion_error", {"error": "invalid_token", "reason": str(exc)},
                               room=sid, namespace=self.namespace)  # fmt: skip
                conversation = None
            if conversation is None:
                given = data.get("session_id")
                conversation = given if is_web_anonymous_id(access.server_secret, given) else None
            conversation = await self._bind(sid, conversation or access.new_anonymous())
            await sio.emit("session_confirm", conversation, room=sid, namespace=self.namespace)
            self._announce(conversation)

        async def disconnect(sid: str) -> None:
            self._conversations.pop(sid, None)

        async def user_uttered(sid: str, data: Any) -> None:
            data = data if isinstance(data, dict) else {}
            token = _token_in(data)
            conversation = self._conversations.get(sid)
            if token:
                try:
                    conversation = await self._bind(sid, access.customer_of_token(token))
                except AccessRefused as exc:
                    await sio.emit("fusion_error", {"error": "invalid_token", "reason": str(exc)},
                                   room=sid, namespace=self.namespace)  # fmt: skip
            if conversation is None:
                conversation = await self._bind(sid, access.new_anonymous())
                await sio.emit("session_confirm", conversation, room=sid, namespace=self.namespace)
            text = data.get("message")
            if not isinstance(text, str) or not is_unicode(text):
                return
            environ = sio.get_environ(sid, namespace=self.namespace) or {}
            address = access.client(environ.get("REMOTE_ADDR"), environ.get("HTTP_X_FORWARDED_FOR"))
            error = None
            if len(text) > self.max_message_length:
                error = {"error": "message_too_long", "max_length": self.max_message_length}
            elif not access.admit(conversation, address):
                error = {"error": "rate_limited", "retry_after_s": 60}
            if error:
                await sio.emit("fusion_error", error, room=sid, namespace=self.namespace)
                return
            await on_new_message(UserMessage(
                neutralise_payload(text), SocketIOOutput(sio, self.bot_message_evt),
                conversation, input_channel=self.name(),
                metadata={CLIENT_KEY: access.client_tag(address)},
            ))  # fmt: skip

        sio.on("session_request", session_request, namespace=self.namespace)
        sio.on("disconnect", disconnect, namespace=self.namespace)
        sio.on(self.user_message_evt, user_uttered, namespace=self.namespace)

    async def _bind(self, sid: str, conversation: str) -> str:
        """Moves socket ``sid`` into ``conversation``'s room (out of any earlier one)."""
        sio = self.sio
        assert sio is not None
        earlier = self._conversations.get(sid)
        if earlier == conversation:
            return conversation
        if earlier is not None:
            await _maybe_await(sio.leave_room(sid, earlier, namespace=self.namespace))
        await _maybe_await(sio.enter_room(sid, conversation, namespace=self.namespace))
        self._conversations[sid] = conversation
        return conversation


def _token_in(data: dict[str, Any]) -> object:
    """The customer token a socket.io client sent: in ``customData`` (rasa-webchat's and our
    chat page's way), or at the top level."""
    custom = data.get("customData")
    if isinstance(custom, dict) and custom.get("token"):
        return custom["token"]
    return data.get("token")


async def _maybe_await(value: Any) -> None:
    if inspect.isawaitable(value):
        await value


def _json_object(req: Request) -> dict[str, Any]:
    body = req.json
    if not isinstance(body, dict):
        raise SanicException("the body must be a JSON object", status_code=400)
    return body
